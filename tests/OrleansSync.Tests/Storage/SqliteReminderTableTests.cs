using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Runtime;
using OrleansSync.Storage.Sqlite;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Storage;

/// <summary>Orleans reminders in a real SQLite file: rows with ETags, and reads of ranges of the grain hash ring.</summary>
public sealed class SqliteReminderTableTests : IDisposable
{
    private readonly SqliteTestFile _file = new();

    public void Dispose() => _file.Dispose();

    private async Task<SqliteReminderTable> OpenAsync()
    {
        var table = new SqliteReminderTable(Options.Create(new SqliteReminderTableOptions { ConnectionString = _file.ConnectionString }));
        await table.StartAsync();
        return table;
    }

    private static ReminderEntry Entry(GrainId grain, string name, int minutes = 1) => new()
    {
        GrainId = grain,
        ReminderName = name,
        StartAt = new DateTime(2026, 12, 2, 10, 0, 0, DateTimeKind.Utc).AddSeconds(minutes),
        Period = TimeSpan.FromMinutes(minutes),
    };

    [Fact]
    public async Task An_upserted_row_reads_back_with_the_etag_the_upsert_returned()
    {
        var table = await OpenAsync();
        var grain = GrainId.Create("session", "s1");
        var entry = Entry(grain, "retry", minutes: 2);

        var etag = await table.UpsertRow(entry);
        var read = await table.ReadRow(grain, "retry");

        Assert.NotNull(etag);
        Assert.NotNull(read);
        Assert.Equal(grain, read.GrainId);
        Assert.Equal("retry", read.ReminderName);
        Assert.Equal(entry.StartAt, read.StartAt);
        Assert.Equal(DateTimeKind.Utc, read.StartAt.Kind);
        Assert.Equal(TimeSpan.FromMinutes(2), read.Period);
        Assert.Equal(etag, read.ETag);
        Assert.Null(await table.ReadRow(grain, "other"));
    }

    [Fact]
    public async Task Reads_by_grain_return_only_that_grains_reminders()
    {
        var table = await OpenAsync();
        var grain = GrainId.Create("session", "s1");
        await table.UpsertRow(Entry(grain, "retry"));
        await table.UpsertRow(Entry(grain, "expiry"));
        await table.UpsertRow(Entry(GrainId.Create("session", "s2"), "retry"));
        await table.UpsertRow(Entry(GrainId.Create("user", "s1"), "retry"));

        var rows = await table.ReadRows(grain);

        Assert.Equal(["expiry", "retry"], rows.Reminders.Select(r => r.ReminderName).Order(StringComparer.Ordinal));
        Assert.All(rows.Reminders, r => Assert.Equal(grain, r.GrainId));
    }

    [Fact]
    public async Task An_upsert_replaces_the_row_with_a_new_etag_and_only_the_current_etag_removes_it()
    {
        var table = await OpenAsync();
        var grain = GrainId.Create("session", "s1");
        var first = await table.UpsertRow(Entry(grain, "retry", minutes: 1));
        var second = await table.UpsertRow(Entry(grain, "retry", minutes: 5));

        Assert.NotEqual(first, second);
        Assert.Equal(TimeSpan.FromMinutes(5), (await table.ReadRow(grain, "retry"))!.Period);
        Assert.False(await table.RemoveRow(grain, "retry", first!));
        Assert.NotNull(await table.ReadRow(grain, "retry"));

        Assert.True(await table.RemoveRow(grain, "retry", second!));
        Assert.Null(await table.ReadRow(grain, "retry"));
        Assert.False(await table.RemoveRow(grain, "retry", second!));
    }

    [Fact]
    public async Task Range_reads_follow_the_ring_including_the_wrap_around()
    {
        var table = await OpenAsync();
        // Enough grains that hashes fall on both halves of the uint range (above int.MaxValue tests the unsigned column).
        var grains = Enumerable.Range(0, 40).Select(i => GrainId.Create("session", $"s{i}")).ToList();
        foreach (var grain in grains)
        {
            await table.UpsertRow(Entry(grain, "retry"));
        }
        var hashes = grains.Select(g => g.GetUniformHashCode()).Order().ToList();
        Assert.Contains(hashes, h => h > int.MaxValue);
        Assert.Contains(hashes, h => h <= int.MaxValue);

        // Bounds on stored hashes check that begin is exclusive and end inclusive.
        var low = hashes[5];
        var high = hashes[30];
        (uint Begin, uint End)[] ranges =
        [
            (low, high),               // inside: (low, high]
            (high, low),               // wrap-around: above high, or up to low
            (low, low),                // begin == end: the whole ring
            (0, uint.MaxValue),        // everything but hash 0
            (uint.MaxValue, 0),        // wrap-around with nothing above begin: only hash 0
            (hashes[^1], hashes[0]),   // wrap-around at the extremes: only the lowest
            (hashes[10], hashes[10] + 1),
        ];
        foreach (var (begin, end) in ranges)
        {
            var expected = grains
                .Where(g => begin < end
                    ? g.GetUniformHashCode() > begin && g.GetUniformHashCode() <= end
                    : g.GetUniformHashCode() > begin || g.GetUniformHashCode() <= end)
                .Select(g => g.ToString())
                .Order(StringComparer.Ordinal);

            var rows = await table.ReadRows(begin, end);

            Assert.Equal(expected, rows.Reminders.Select(r => r.GrainId.ToString()).Order(StringComparer.Ordinal));
        }
        Assert.Equal(grains.Count, (await table.ReadRows(low, low)).Reminders.Count);
        Assert.Equal(25, (await table.ReadRows(low, high)).Reminders.Count);
    }

    [Fact]
    public async Task Clearing_the_table_removes_every_row()
    {
        var table = await OpenAsync();
        await table.UpsertRow(Entry(GrainId.Create("session", "s1"), "retry"));
        await table.UpsertRow(Entry(GrainId.Create("session", "s2"), "retry"));
        Assert.Equal(2, (await table.ReadRows(0, 0)).Reminders.Count); // the whole ring sees both

        await table.TestOnlyClearTable();

        Assert.Empty((await table.ReadRows(0, 0)).Reminders);
        Assert.Empty((await table.ReadRows(GrainId.Create("session", "s1"))).Reminders);
    }
}
