using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;
using OrleansSync.Storage.Sqlite;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Storage;

/// <summary>Orleans grain state in a real SQLite file: round trips, ETag conflicts, clears.</summary>
public sealed class SqliteGrainStorageTests : IDisposable
{
    private readonly SqliteTestFile _file = new();
    private static readonly GrainId Grain = GrainId.Create("counter", "alice");

    public void Dispose() => _file.Dispose();

    public sealed class Counter
    {
        public int Count { get; set; }
        public List<string> Names { get; set; } = [];
    }

    /// <summary>Orleans' default grain storage serializer (JSON with Orleans' settings), as a silo would use.</summary>
    private async Task<SqliteGrainStorage> OpenAsync(string name = "sqlite")
    {
        var serializer = new JsonGrainStorageSerializer(new OrleansJsonSerializer(Options.Create(new OrleansJsonSerializerOptions())));
        var storage = new SqliteGrainStorage(name, new SqliteGrainStorageOptions { ConnectionString = _file.ConnectionString, GrainStorageSerializer = serializer });
        await storage.InitializeAsync(CancellationToken.None);
        return storage;
    }

    [Fact]
    public async Task The_tables_are_the_stores_own_file_and_migration()
    {
        await OpenAsync();

        await using var connection = new SqliteConnection(_file.ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('sessions', 'orleans_grain_state', 'orleans_reminders') ORDER BY name";
        var tables = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        }
        Assert.Equal(["orleans_grain_state", "orleans_reminders", "sessions"], tables);
    }

    [Fact]
    public async Task A_grain_without_a_row_reads_a_new_state_and_no_etag()
    {
        var storage = await OpenAsync();
        var state = new GrainState<Counter>(new Counter { Count = 7 }, "left-over");

        await storage.ReadStateAsync("counter", Grain, state);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Equal(0, state.State!.Count);
    }

    [Fact]
    public async Task A_written_state_reads_back_with_its_etag()
    {
        var storage = await OpenAsync();
        var written = new GrainState<Counter>(new Counter { Count = 3, Names = ["a", "b"] });

        await storage.WriteStateAsync("counter", Grain, written);
        var read = new GrainState<Counter>();
        await storage.ReadStateAsync("counter", Grain, read);

        Assert.NotNull(written.ETag);
        Assert.True(written.RecordExists);
        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(3, read.State!.Count);
        Assert.Equal(["a", "b"], read.State!.Names);

        read.State!.Count = 4;
        await storage.WriteStateAsync("counter", Grain, read);
        Assert.NotEqual(written.ETag, read.ETag);
        var again = new GrainState<Counter>();
        await storage.ReadStateAsync("counter", Grain, again);
        Assert.Equal(4, again.State!.Count);
    }

    [Fact]
    public async Task State_is_kept_apart_by_provider_name_grain_and_state_name()
    {
        var first = await OpenAsync("first");
        var second = await OpenAsync("second");
        await first.WriteStateAsync("counter", Grain, new GrainState<Counter>(new Counter { Count = 1 }));
        await first.WriteStateAsync("other", Grain, new GrainState<Counter>(new Counter { Count = 2 }));
        await first.WriteStateAsync("counter", GrainId.Create("counter", "bob"), new GrainState<Counter>(new Counter { Count = 3 }));

        var ofSecond = new GrainState<Counter>();
        await second.ReadStateAsync("counter", Grain, ofSecond);
        var ofFirst = new GrainState<Counter>();
        await first.ReadStateAsync("counter", Grain, ofFirst);

        Assert.False(ofSecond.RecordExists);
        Assert.Equal(1, ofFirst.State!.Count);
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_throws_and_changes_nothing()
    {
        var storage = await OpenAsync();
        await storage.WriteStateAsync("counter", Grain, new GrainState<Counter>(new Counter { Count = 1 }));
        var mine = new GrainState<Counter>();
        var theirs = new GrainState<Counter>();
        await storage.ReadStateAsync("counter", Grain, mine);
        await storage.ReadStateAsync("counter", Grain, theirs);

        theirs.State!.Count = 2;
        await storage.WriteStateAsync("counter", Grain, theirs);
        mine.State!.Count = 99;
        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("counter", Grain, mine));

        Assert.Equal(theirs.ETag, conflict.StoredEtag);
        var stored = new GrainState<Counter>();
        await storage.ReadStateAsync("counter", Grain, stored);
        Assert.Equal(2, stored.State!.Count);
    }

    [Fact]
    public async Task A_first_write_over_a_row_written_meanwhile_throws()
    {
        var storage = await OpenAsync();
        var late = new GrainState<Counter>();
        await storage.ReadStateAsync("counter", Grain, late);
        await storage.WriteStateAsync("counter", Grain, new GrainState<Counter>(new Counter { Count = 1 }));

        late.State!.Count = 5;
        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("counter", Grain, late));

        Assert.NotNull(conflict.StoredEtag);
        Assert.Null(conflict.CurrentEtag);
    }

    [Fact]
    public async Task Clear_deletes_the_row_and_an_etag_from_before_the_clear_cannot_write_again()
    {
        var storage = await OpenAsync();
        var state = new GrainState<Counter>(new Counter { Count = 1 });
        await storage.WriteStateAsync("counter", Grain, state);
        var beforeClear = state.ETag;

        await storage.ClearStateAsync("counter", Grain, state);

        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.Equal(0, state.State!.Count);
        var read = new GrainState<Counter>();
        await storage.ReadStateAsync("counter", Grain, read);
        Assert.False(read.RecordExists);

        // A new row after the clear gets a new ETag, so a writer still holding the old one is refused.
        await storage.WriteStateAsync("counter", Grain, read);
        var stale = new GrainState<Counter>(new Counter { Count = 42 }, beforeClear!);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("counter", Grain, stale));
    }

    [Fact]
    public async Task Clear_with_a_stale_etag_throws_and_keeps_the_row()
    {
        var storage = await OpenAsync();
        var stale = new GrainState<Counter>(new Counter { Count = 1 });
        await storage.WriteStateAsync("counter", Grain, stale);
        var current = new GrainState<Counter>();
        await storage.ReadStateAsync("counter", Grain, current);
        current.State!.Count = 2;
        await storage.WriteStateAsync("counter", Grain, current);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("counter", Grain, stale));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("counter", Grain, new GrainState<Counter>()));

        var read = new GrainState<Counter>();
        await storage.ReadStateAsync("counter", Grain, read);
        Assert.Equal(2, read.State!.Count);
    }

    [Fact]
    public async Task Clear_of_a_grain_without_a_row_is_nothing_to_do()
    {
        var storage = await OpenAsync();
        var state = new GrainState<Counter> { State = new Counter { Count = 7 } }; // held in memory, never written

        await storage.ClearStateAsync("counter", Grain, state);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Equal(0, state.State!.Count); // the clear resets what the grain held
        var read = new GrainState<Counter>();
        await storage.ReadStateAsync("counter", Grain, read);
        Assert.False(read.RecordExists); // and wrote nothing
    }
}
