using OrleansSync.Storage;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Storage;

/// <summary>
/// A queue row keeps the time its event was first sent (the attempt budget runs from it, across restarts): the time
/// written by an append or an inbox move (or marked later, for a row written before its event was sent) comes back with
/// the claim, on every write path of each store, and a store of the previous version gains the column with its old rows
/// reading back as "not known".
/// </summary>
public abstract class FirstSentAtTests : IDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_750_000_000_123);
    private readonly string _folder = TestFolder.Create();
    private StoreUnderTest? _stores;

    protected abstract StoreKind Store { get; }

    /// <summary>SQL that turns a migrated store into one of the version before the column.</summary>
    protected abstract string DropTheColumn { get; }

    public void Dispose() => TestFolder.Delete(_folder);

    private StoreUnderTest Stores => _stores ??= new StoreUnderTest(Store, _folder);

    private static DateTimeOffset At(int seconds) => T0.AddSeconds(seconds);

    [Fact]
    public async Task Appends_and_inbox_moves_keep_their_first_send_time_through_the_claim()
    {
        // A delay no test could sit out: the batches below go when full (3 writes) or at a move, so their make-up is known.
        await using var store = await Stores.OpenAsync(commitDelay: TimeSpan.FromMinutes(10), commitBatchSize: 3);
        await store.CreateSessionAsync(new SessionRecord("s1", "u1", NeedFullSync: false, RetentionDeadline: null));
        await store.CreateSessionAsync(new SessionRecord("s2", "u1", NeedFullSync: false, RetentionDeadline: null));
        var staleOfS2 = (await store.ClaimSessionAsync("s2", "u1", "node-1"))!.Session.Epoch;
        await store.ClaimSessionAsync("s2", "u1", "node-2");
        var epoch = (await store.ClaimSessionAsync("s1", "u1", "node-1"))!.Session.Epoch;

        // One batch of three inserts (PostgreSQL: one array insert).
        await Task.WhenAll(store.AppendEventAsync("s1", epoch, 0, "e0", [0], At(0)),
            store.AppendEventAsync("s1", epoch, 1, "e1", [1], At(1)),
            store.AppendEventAsync("s1", epoch, 2, "e2", [2], At(2))).WaitAsync(TimeSpan.FromSeconds(30));
        _ = store.AppendInboxAsync("s1", "i1", [3]);
        _ = store.AppendInboxAsync("s1", "i2", [4]);
        var claimed = (await store.ClaimSessionAsync("s1", "u1", "node-1"))!; // flushes the inbox writes
        epoch = claimed.Session.Epoch;
        Assert.Equal(["i1", "i2"], claimed.Inbox.Select(e => e.EventId));
        // A move on its own (PostgreSQL: the array insert again).
        await store.MoveInboxEventAsync("s1", epoch, claimed.Inbox[0].Id, 3, "i1", [3], At(3)).WaitAsync(TimeSpan.FromSeconds(30));
        // An append and a move in a batch with a fenced-out write (PostgreSQL: rolled back and redone statement by statement).
        await Task.WhenAll(store.AppendEventAsync("s2", staleOfS2, 0, "stale", [9], At(9)),
            store.AppendEventAsync("s1", epoch, 4, "e5", [5], At(5)),
            store.MoveInboxEventAsync("s1", epoch, claimed.Inbox[1].Id, 5, "i2", [4], At(4))).WaitAsync(TimeSpan.FromSeconds(30));

        var final = (await store.ClaimSessionAsync("s1", "u1", "node-1"))!;
        Assert.Empty(final.Inbox);
        Assert.Equal(["e0", "e1", "e2", "i1", "e5", "i2"], final.Queue.Select(e => e.EventId));
        Assert.Equal([At(0), At(1), At(2), At(3), At(5), At(4)], final.Queue.Select(e => e.FirstSentAt));
    }

    [Fact]
    public async Task A_row_written_before_its_first_send_gets_the_time_marked_once_in_its_waiting_insert_or_by_an_update()
    {
        await using var store = await Stores.OpenAsync(commitDelay: TimeSpan.FromMinutes(10), commitBatchSize: 3);
        await store.CreateSessionAsync(new SessionRecord("s1", "u1", NeedFullSync: false, RetentionDeadline: null));
        var epoch = (await store.ClaimSessionAsync("s1", "u1", "node-1"))!.Session.Epoch;

        // Marks while the inserts still wait in the batch go into the inserts (two writes: the batch is not full yet);
        // a row that has its time keeps it.
        var waiting = Task.WhenAll(store.AppendEventAsync("s1", epoch, 0, "e0", [0], null),
            store.AppendEventAsync("s1", epoch, 1, "e1", [1], At(1)),
            store.MarkFirstSentAsync("s1", "e0", At(2)),
            store.MarkFirstSentAsync("s1", "e1", At(3)));
        epoch = (await store.ClaimSessionAsync("s1", "u1", "node-1"))!.Session.Epoch; // flushes them
        await waiting.WaitAsync(TimeSpan.FromSeconds(30));

        // Marks of committed rows are updates (one batch of three: PostgreSQL pipelines them after the array insert's run).
        await Task.WhenAll(store.AppendEventAsync("s1", epoch, 2, "e2", [2], null),
            store.AppendEventAsync("s1", epoch, 3, "e3", [3], null),
            store.AppendEventAsync("s1", epoch, 4, "e4", [4], null)).WaitAsync(TimeSpan.FromSeconds(30));
        await Task.WhenAll(store.MarkFirstSentAsync("s1", "e2", At(5)),
            store.MarkFirstSentAsync("s1", "e3", At(6)),
            store.MarkFirstSentAsync("s1", "e0", At(9))).WaitAsync(TimeSpan.FromSeconds(30));

        var claimed = (await store.ClaimSessionAsync("s1", "u1", "node-1"))!;
        Assert.Equal(["e0", "e1", "e2", "e3", "e4"], claimed.Queue.Select(e => e.EventId));
        Assert.Equal([At(2), At(1), At(5), At(6), null], claimed.Queue.Select(e => e.FirstSentAt));
    }

    [Fact]
    public async Task A_store_of_the_previous_version_gains_the_column_and_its_old_rows_have_no_first_send_time()
    {
        await using (var store = await Stores.OpenAsync())
        {
            await store.CreateSessionAsync(new SessionRecord("s1", "u1", NeedFullSync: false, RetentionDeadline: null));
            var epoch = (await store.ClaimSessionAsync("s1", "u1", "node-1"))!.Session.Epoch;
            await store.AppendEventAsync("s1", epoch, 0, "old", [0], At(0));
        }
        await Stores.ExecuteAsync(DropTheColumn);

        await using var upgraded = await Stores.OpenAsync();
        var claimed = (await upgraded.ClaimSessionAsync("s1", "u1", "node-1"))!;
        Assert.Null(Assert.Single(claimed.Queue).FirstSentAt);
        await upgraded.AppendEventAsync("s1", claimed.Session.Epoch, 1, "new", [1], At(1));
        var again = (await upgraded.ClaimSessionAsync("s1", "u1", "node-1"))!;
        Assert.Equal([null, At(1)], again.Queue.Select(e => e.FirstSentAt));
    }
}

public sealed class FirstSentAtTestsOnSqlite : FirstSentAtTests
{
    protected override StoreKind Store => StoreKind.Sqlite;

    // user_version 0: the steps run again (each is idempotent), as for a file of a build before versions were recorded.
    protected override string DropTheColumn => "ALTER TABLE session_events DROP COLUMN first_sent_at; PRAGMA user_version = 0";
}

[Collection(nameof(PostgresServer))]
public sealed class FirstSentAtTestsOnPostgres : FirstSentAtTests
{
    protected override StoreKind Store => StoreKind.Postgres;

    // Version 4 added the column; deleting the later versions too only re-runs idempotent steps.
    protected override string DropTheColumn =>
        "ALTER TABLE session_events DROP COLUMN first_sent_at; DELETE FROM schema_version WHERE version >= 4";
}
