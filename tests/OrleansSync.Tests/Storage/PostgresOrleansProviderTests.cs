using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;
using OrleansSync.Storage.Postgres;
using OrleansSync.Tests.Infrastructure;
using OrleansSync.Tests.OrleansGrains;
using Xunit;

namespace OrleansSync.Tests.Storage;

/// <summary>
/// Orleans' own ADO.NET grain storage and reminder table on a real silo (TestingHost, in-process), on the schema the
/// store's migrations write, on a fresh PostgreSQL database: round trips, ETag conflicts, clears, reminder reads by
/// grain and by hash range, removals by ETag, and a grain whose state and reminder live there.
/// </summary>
[Collection(nameof(PostgresServer))]
public sealed class PostgresOrleansProviderTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly GrainId Alice = GrainId.Create("counter", "alice");

    private PostgresServer _server = null!;
    private string _database = null!;
    private InProcessTestCluster _cluster = null!;

    private string ConnectionString => _server.ConnectionString(_database);

    public sealed class Counter
    {
        public int Count { get; set; }
        public List<string> Names { get; set; } = [];
    }

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.GetAsync();
        _database = await _server.CreateDatabaseAsync();
        var connectionString = ConnectionString;
        // The database is empty: the providers' registration migrates it when the silo starts.
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) => silo
            .AddPostgresGrainStorage(StoredCounterGrain.StorageName, connectionString)
            .UsePostgresReminders(connectionString)
            // The default minimum period is one minute; a test waits for ticks a second apart.
            .Configure<ReminderOptions>(options => options.MinimumReminderPeriod = TimeSpan.FromSeconds(1)));
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _server.DropDatabaseAsync(_database);
    }

    private IGrainStorage Storage => _cluster.GetSiloServiceProvider().GetRequiredKeyedService<IGrainStorage>(StoredCounterGrain.StorageName);

    private IReminderTable Reminders => _cluster.GetSiloServiceProvider().GetRequiredService<IReminderTable>();

    private Task<long> RowsAsync(string table) => StoreProbe.ScalarAsync(StoreKind.Postgres, ConnectionString, $"SELECT COUNT(*) FROM {table}");

    [Fact]
    public async Task The_providers_are_orleans_own_on_the_stores_database()
    {
        Assert.IsType<AdoNetGrainStorage>(Storage);
        Assert.Equal("AdoNetReminderTable", Reminders.GetType().Name);
        Assert.Equal(PostgresDialect.SchemaVersion, await StoreProbe.ScalarAsync(StoreKind.Postgres, ConnectionString, "SELECT MAX(version) FROM schema_version"));
    }

    [Fact]
    public async Task A_written_state_reads_back_with_its_etag_and_a_grain_without_a_row_reads_a_new_state()
    {
        var empty = new GrainState<Counter>(new Counter { Count = 7 }, "left-over");
        await Storage.ReadStateAsync("counter", Alice, empty);
        Assert.False(empty.RecordExists);
        Assert.Null(empty.ETag);
        Assert.Equal(0, empty.State!.Count);

        var written = new GrainState<Counter>(new Counter { Count = 3, Names = ["a", "b"] });
        await Storage.WriteStateAsync("counter", Alice, written);
        var read = new GrainState<Counter>();
        await Storage.ReadStateAsync("counter", Alice, read);

        Assert.NotNull(written.ETag);
        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(3, read.State!.Count);
        Assert.Equal(["a", "b"], read.State!.Names);

        read.State!.Count = 4;
        await Storage.WriteStateAsync("counter", Alice, read);
        Assert.NotEqual(written.ETag, read.ETag);
        var again = new GrainState<Counter>();
        await Storage.ReadStateAsync("counter", Alice, again);
        Assert.Equal(4, again.State!.Count);
        Assert.Equal(1, await RowsAsync("orleans_grain_state"));
    }

    [Fact]
    public async Task State_is_kept_apart_by_grain_key_kind_and_state_name()
    {
        await Storage.WriteStateAsync("counter", Alice, new GrainState<Counter>(new Counter { Count = 1 }));
        await Storage.WriteStateAsync("other", Alice, new GrainState<Counter>(new Counter { Count = 2 }));
        await Storage.WriteStateAsync("counter", GrainId.Create("counter", "bob"), new GrainState<Counter>(new Counter { Count = 3 }));
        // An integer key 0 with extension "alice" is given to the provider as the same numbers and text as the string key
        // "alice": only the key's hash tells them apart.
        var integerKey = GrainId.Create(GrainType.Create("counter"), GrainIdKeyExtensions.CreateIntegerKey(0, "alice"));
        await Storage.WriteStateAsync("counter", integerKey, new GrainState<Counter>(new Counter { Count = 4 }));

        foreach (var (state, grain, count) in new[] { ("counter", Alice, 1), ("other", Alice, 2), ("counter", GrainId.Create("counter", "bob"), 3), ("counter", integerKey, 4) })
        {
            var read = new GrainState<Counter>();
            await Storage.ReadStateAsync(state, grain, read);
            Assert.Equal(count, read.State!.Count);
        }
        Assert.Equal(4, await RowsAsync("orleans_grain_state"));
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_is_refused_and_changes_nothing()
    {
        await Storage.WriteStateAsync("counter", Alice, new GrainState<Counter>(new Counter { Count = 1 }));
        var mine = new GrainState<Counter>();
        var theirs = new GrainState<Counter>();
        await Storage.ReadStateAsync("counter", Alice, mine);
        await Storage.ReadStateAsync("counter", Alice, theirs);

        theirs.State!.Count = 2;
        await Storage.WriteStateAsync("counter", Alice, theirs);
        mine.State!.Count = 99;
        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync("counter", Alice, mine));

        // A first write (no ETag) over a row written meanwhile is refused too.
        var late = new GrainState<Counter>(new Counter { Count = 50 });
        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync("counter", Alice, late));

        var stored = new GrainState<Counter>();
        await Storage.ReadStateAsync("counter", Alice, stored);
        Assert.Equal(2, stored.State!.Count);
        Assert.Equal(theirs.ETag, stored.ETag);
    }

    [Fact]
    public async Task Clear_deletes_the_row_and_an_etag_from_before_the_clear_cannot_write_again()
    {
        var state = new GrainState<Counter>(new Counter { Count = 1 });
        await Storage.WriteStateAsync("counter", Alice, state);
        var beforeClear = state.ETag;
        var stale = new GrainState<Counter>();
        await Storage.ReadStateAsync("counter", Alice, stale);

        await Storage.ClearStateAsync("counter", Alice, state);

        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.Equal(0, state.State!.Count);
        Assert.Equal(0, await RowsAsync("orleans_grain_state"));

        // Written again, the row gets an ETag it never had: a writer still holding the old one is refused.
        await Storage.WriteStateAsync("counter", Alice, new GrainState<Counter>(new Counter { Count = 5 }));
        stale.State!.Count = 42;
        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync("counter", Alice, stale));
        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.ClearStateAsync("counter", Alice,
            new GrainState<Counter>(new Counter(), beforeClear!)));
        var read = new GrainState<Counter>();
        await Storage.ReadStateAsync("counter", Alice, read);
        Assert.Equal(5, read.State!.Count);
    }

    [Fact]
    public async Task A_grains_state_survives_its_deactivation()
    {
        var grain = _cluster.Client.GetGrain<IStoredCounterGrain>("alice");
        await grain.IncrementAsync();
        await grain.IncrementAsync();
        var first = await grain.GetActivationAsync();

        await _cluster.DeactivateAsync(grain);

        Assert.NotEqual(first, await grain.GetActivationAsync());
        Assert.Equal(2, await grain.GetCountAsync());
        Assert.Equal(3, await grain.IncrementAsync());
        Assert.Equal(1, await RowsAsync("orleans_grain_state"));
    }

    [Fact]
    public async Task Reminders_are_read_by_grain_and_by_hash_range_and_removed_only_with_their_etag()
    {
        var bob = GrainId.Create("counter", "bob");
        var start = new DateTime(2026, 12, 1, 10, 0, 0, 123, DateTimeKind.Utc);
        var tick = new ReminderEntry { GrainId = Alice, ReminderName = "tick", StartAt = start, Period = TimeSpan.FromMinutes(1) };
        var tickETag = await Reminders.UpsertRow(tick);
        var tock = await Reminders.UpsertRow(new ReminderEntry { GrainId = Alice, ReminderName = "tock", StartAt = start, Period = TimeSpan.FromDays(40) });
        await Reminders.UpsertRow(new ReminderEntry { GrainId = bob, ReminderName = "tick", StartAt = start, Period = TimeSpan.FromMinutes(2) });
        Assert.NotNull(tickETag);
        Assert.NotNull(tock);

        var ofAlice = (await Reminders.ReadRows(Alice)).Reminders.OrderBy(reminder => reminder.ReminderName).ToList();
        Assert.Equal(["tick", "tock"], ofAlice.Select(reminder => reminder.ReminderName));
        Assert.All(ofAlice, reminder => Assert.Equal(Alice, reminder.GrainId));
        Assert.Equal(start, ofAlice[0].StartAt);
        Assert.Equal(DateTimeKind.Utc, ofAlice[0].StartAt.Kind);
        Assert.Equal(TimeSpan.FromDays(40), ofAlice[1].Period); // more milliseconds than an int holds
        Assert.Equal(tickETag, ofAlice[0].ETag);
        var one = await Reminders.ReadRow(bob, "tick");
        Assert.NotNull(one);
        Assert.Equal(TimeSpan.FromMinutes(2), one.Period);
        Assert.Null(await Reminders.ReadRow(bob, "tock"));

        // Ranges (begin, end] of the hash ring, plain and wrapping around it.
        var aliceHash = Alice.GetUniformHashCode();
        var bobHash = bob.GetUniformHashCode();
        Assert.NotEqual(aliceHash, bobHash);
        Assert.Equal([Alice, Alice], await GrainsInRangeAsync(unchecked(aliceHash - 1), aliceHash));
        Assert.Equal([bob], await GrainsInRangeAsync(aliceHash, unchecked(aliceHash - 1))); // all but alice's hash
        Assert.Equal(3, (await GrainsInRangeAsync(bobHash, bobHash)).Count); // the whole ring
        Assert.Equal([Alice, Alice], await GrainsInRangeAsync(bobHash, aliceHash)); // wrapping or not, by the two hashes

        // An upsert replaces the row and its ETag; a removal needs the current ETag.
        var moved = await Reminders.UpsertRow(new ReminderEntry { GrainId = Alice, ReminderName = "tick", StartAt = start.AddHours(1), Period = TimeSpan.FromMinutes(3) });
        Assert.NotEqual(tickETag, moved);
        Assert.False(await Reminders.RemoveRow(Alice, "tick", tickETag));
        Assert.NotNull(await Reminders.ReadRow(Alice, "tick"));
        Assert.True(await Reminders.RemoveRow(Alice, "tick", moved!));
        Assert.Null(await Reminders.ReadRow(Alice, "tick"));
        Assert.False(await Reminders.RemoveRow(Alice, "tick", moved!));
        Assert.Equal(2, await RowsAsync("orleans_reminders"));
    }

    [Fact]
    public async Task A_grains_reminder_is_kept_in_the_table_fires_and_is_gone_once_unregistered()
    {
        var grain = _cluster.Client.GetGrain<IStoredCounterGrain>("ticking");
        await grain.StartReminderAsync(TimeSpan.FromSeconds(1));

        var row = await Reminders.ReadRow(grain.GetGrainId(), StoredCounterGrain.ReminderName);
        Assert.NotNull(row);
        Assert.Equal(TimeSpan.FromSeconds(1), row.Period);
        await Eventually.TrueAsync(async () => await grain.GetReminderTicksAsync() >= 2, Patience, "the reminder fires");

        await grain.StopReminderAsync();
        Assert.Null(await Reminders.ReadRow(grain.GetGrainId(), StoredCounterGrain.ReminderName));
        Assert.Equal(0, await RowsAsync("orleans_reminders"));
    }

    private async Task<List<GrainId>> GrainsInRangeAsync(uint begin, uint end) =>
        (await Reminders.ReadRows(begin, end)).Reminders.Select(reminder => reminder.GrainId).ToList();
}
