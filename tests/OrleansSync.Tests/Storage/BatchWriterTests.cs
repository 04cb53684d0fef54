using OrleansSync.Storage;
using OrleansSync.Storage.Ado;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Storage;

/// <summary>
/// The batch writer against the store's reads: an event's insert and delete that wait in one batch are dropped
/// (it was acked before it needed storing), and a claim waits for the writes queued before it. Whichever batches
/// the writes land in, the store must end where the writes say.
/// </summary>
public abstract class BatchWriterTests : IDisposable
{
    private readonly string _folder = TestFolder.Create();

    /// <summary>The first send time these tests give their queue rows (FirstSentAtTests checks it round-trips).</summary>
    private static readonly DateTimeOffset Sent = DateTimeOffset.FromUnixTimeMilliseconds(1_750_000_000_000);

    protected abstract StoreKind Store { get; }

    public void Dispose() => TestFolder.Delete(_folder);

    [Fact]
    public async Task Events_acked_as_they_are_queued_leave_no_rows_and_the_unacked_ones_stay_in_order()
    {
        await using var store = await OpenStoreAsync();
        await store.CreateSessionAsync(new SessionRecord("s1", "u1", NeedFullSync: false, RetentionDeadline: null));
        var claimed = (await store.ClaimSessionAsync("s1", "u1", "node-1"))!;
        var writes = new List<Task>();
        for (var i = 0; i < 200; i++)
        {
            writes.Add(store.AppendEventAsync("s1", claimed.Session.Epoch, i, $"e{i}", [(byte)i], Sent));
            if (i % 3 != 0)
            {
                writes.Add(store.RemoveEventAsync("s1", $"e{i}")); // most are acked at once; every third stays
            }
        }
        // An inbox event moved into the queue and acked in the same breath: neither row may remain.
        writes.Add(store.AppendInboxAsync("s1", "from-inbox", [42]));
        await Task.WhenAll(writes);
        var inbox = (await store.ClaimSessionAsync("s1", "u1", "node-1"))!;
        var row = Assert.Single(inbox.Inbox);
        await Task.WhenAll(store.MoveInboxEventAsync("s1", inbox.Session.Epoch, row.Id, 1000, "from-inbox", [42], Sent),
            store.RemoveEventAsync("s1", "from-inbox"));

        var final = (await store.ClaimSessionAsync("s1", "u1", "node-1"))!;
        Assert.Empty(final.Inbox);
        Assert.Equal(Enumerable.Range(0, 200).Where(i => i % 3 == 0).Select(i => $"e{i}"), final.Queue.Select(e => e.EventId));
    }

    [Fact]
    public async Task A_claim_sees_every_write_this_store_queued_before_it()
    {
        // The claim bumps the epoch, which fences older writes: one still queued would be lost (here, a cleared flag).
        await using var store = await OpenStoreAsync();
        for (var round = 0; round < 30; round++)
        {
            var sessionId = $"s{round}";
            await store.CreateSessionAsync(new SessionRecord(sessionId, "u1", NeedFullSync: true, RetentionDeadline: null));
            var claimed = (await store.ClaimSessionAsync(sessionId, "u1", "node-1"))!;
            _ = store.SaveSessionAsync(claimed.Session with { NeedFullSync = false }); // queued, not awaited
            var again = (await store.ClaimSessionAsync(sessionId, "u1", "node-1"))!;
            Assert.False(again.Session.NeedFullSync, $"round {round}: the queued write was overtaken by the claim");
        }
    }

    [Fact]
    public async Task Mixed_writes_queued_together_end_as_if_applied_one_by_one()
    {
        // On PostgreSQL runs of queue writes go as array statements; this batch also holds a fenced-out insert (the
        // whole batch is then redone statement by statement), inbox rows whose order matters, a session that takes
        // no inbox rows, and a queue clear between two runs of the same session's writes.
        await using var store = await OpenStoreAsync();
        await store.CreateSessionAsync(new SessionRecord("s1", "u1", NeedFullSync: false, RetentionDeadline: null));
        await store.CreateSessionAsync(new SessionRecord("s2", "u1", NeedFullSync: false, RetentionDeadline: null));
        await store.CreateSessionAsync(new SessionRecord("s3", "u1", NeedFullSync: true, RetentionDeadline: null));
        var s1 = (await store.ClaimSessionAsync("s1", "u1", "node-1"))!.Session.Epoch;
        var s2 = (await store.ClaimSessionAsync("s2", "u1", "node-1"))!.Session.Epoch;
        for (var fencedOut = 0; fencedOut < 2; fencedOut++)
        {
            var round = $"r{fencedOut}-";
            List<Task> writes = [];
            for (var i = 0; i < 5; i++)
            {
                writes.Add(store.AppendEventAsync("s1", s1, 10 * fencedOut + i, $"{round}e{i}", [(byte)i], Sent));
            }
            writes.Add(store.AppendInboxAsync("s2", $"{round}i1", [1]));
            if (fencedOut == 1)
            {
                writes.Add(store.AppendEventAsync("s2", s2 - 1, 0, $"{round}stale", [9], Sent)); // an older owner's write: goes to the inbox
            }
            writes.Add(store.AppendInboxAsync("s2", $"{round}i2", [2]));
            writes.Add(store.AppendInboxAsync("s3", $"{round}dropped", [3])); // s3 needs a full sync anyway
            writes.Add(store.ClearQueueAsync("s1", s1));
            writes.Add(store.AppendEventAsync("s1", s1, 10 * fencedOut + 5, $"{round}e5", [5], Sent));
            writes.Add(store.AppendEventAsync("s1", s1, 10 * fencedOut + 6, $"{round}e6", [6], Sent));
            writes.Add(store.RemoveEventAsync("s1", $"{round}e5"));
            await Task.WhenAll(writes);
        }

        var first = (await store.ClaimSessionAsync("s1", "u1", "node-1"))!;
        Assert.Equal(["r1-e6"], first.Queue.Select(e => e.EventId));
        var second = (await store.ClaimSessionAsync("s2", "u1", "node-1"))!;
        Assert.Equal(["r0-i1", "r0-i2", "r1-i1", "r1-stale", "r1-i2"], second.Inbox.Select(e => e.EventId));
        Assert.Empty((await store.ClaimSessionAsync("s3", "u1", "node-1"))!.Inbox);
    }

    [Fact]
    public async Task With_a_commit_delay_writes_that_fill_a_batch_commit_together_and_an_ack_cancels_its_insert()
    {
        // A delay no test could sit out: the writes can only complete by filling the batch (the cancelled insert keeps its slot).
        await using var store = await OpenStoreAsync(commitDelay: TimeSpan.FromMinutes(10), commitBatchSize: 3);
        await store.CreateSessionAsync(new SessionRecord("s1", "u1", NeedFullSync: false, RetentionDeadline: null));
        var epoch = (await store.ClaimSessionAsync("s1", "u1", "node-1"))!.Session.Epoch;
        var batches = new System.Collections.Concurrent.ConcurrentQueue<int>();
        store.BatchCommitted += (count, _) => batches.Enqueue(count);

        var first = store.AppendEventAsync("s1", epoch, 0, "e1", "{}"u8.ToArray(), Sent);
        var ack = store.RemoveEventAsync("s1", "e1"); // acked while its insert waits: neither is written (the ack takes no slot)
        var second = store.AppendEventAsync("s1", epoch, 1, "e2", "{}"u8.ToArray(), Sent);
        var third = store.AppendEventAsync("s1", epoch, 2, "e3", "{}"u8.ToArray(), Sent);
        await Task.WhenAll(first, ack, second, third).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([3], batches);
        Assert.Equal(["e2", "e3"], (await store.ClaimSessionAsync("s1", "u1", "node-1"))!.Queue.Select(e => e.EventId));
    }

    [Fact]
    public async Task An_insert_acked_while_it_waits_for_its_batch_completes_at_the_ack_and_the_others_wait_for_the_commit()
    {
        // A delay no test could sit out: only the ack can complete the first insert before the claim below flushes.
        await using var store = await OpenStoreAsync(commitDelay: TimeSpan.FromMinutes(10), commitBatchSize: 1000);
        await store.CreateSessionAsync(new SessionRecord("s1", "u1", NeedFullSync: false, RetentionDeadline: null));
        var epoch = (await store.ClaimSessionAsync("s1", "u1", "node-1"))!.Session.Epoch;
        var acked = store.AppendEventAsync("s1", epoch, 0, "e1", "{}"u8.ToArray(), Sent);
        var unacked = store.AppendEventAsync("s1", epoch, 1, "e2", "{}"u8.ToArray(), Sent);

        var ack = store.RemoveEventAsync("s1", "e1");

        await acked.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(unacked.IsCompleted); // still waiting out the delay
        Assert.False(ack.IsCompleted); // completes with the batch it cancelled a row of
        var claimed = await store.ClaimSessionAsync("s1", "u1", "node-1").WaitAsync(TimeSpan.FromSeconds(30)); // flushes
        Assert.True(unacked.IsCompletedSuccessfully);
        Assert.Equal(["e2"], claimed!.Queue.Select(e => e.EventId));
    }

    [Fact]
    public async Task A_claim_does_not_wait_out_the_commit_delay_of_the_writes_before_it()
    {
        await using var store = await OpenStoreAsync(commitDelay: TimeSpan.FromMinutes(10), commitBatchSize: 1000);
        await store.CreateSessionAsync(new SessionRecord("s1", "u1", NeedFullSync: false, RetentionDeadline: null));
        var epoch = (await store.ClaimSessionAsync("s1", "u1", "node-1"))!.Session.Epoch;
        var queued = store.AppendEventAsync("s1", epoch, 0, "e1", "{}"u8.ToArray(), Sent);
        // A lone write waits for more (without the delay it commits within milliseconds), like NothingWithinAsync.
        Assert.NotSame(queued, await Task.WhenAny(queued, Task.Delay(TimeSpan.FromMilliseconds(300))));

        var claimed = await store.ClaimSessionAsync("s1", "u1", "node-2").WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(queued.IsCompletedSuccessfully);
        Assert.Equal(["e1"], claimed!.Queue.Select(e => e.EventId));
    }

    [Fact]
    public async Task A_batch_that_moves_an_inbox_row_does_not_wait_out_the_commit_delay()
    {
        // While the row waits in the inbox, every later copy for the session takes the inbox too (order).
        await using var store = await OpenStoreAsync(commitDelay: TimeSpan.FromMinutes(10), commitBatchSize: 1000);
        await store.CreateSessionAsync(new SessionRecord("s1", "u1", NeedFullSync: false, RetentionDeadline: null));
        _ = store.AppendInboxAsync("s1", "from-another-node", "{}"u8.ToArray());
        var claimed = (await store.ClaimSessionAsync("s1", "u1", "node-1"))!; // the claim flushes the inbox write
        var waiting = Assert.Single(claimed.Inbox);

        await store.MoveInboxEventAsync("s1", claimed.Session.Epoch, waiting.Id, 0, waiting.EventId, waiting.Frame, Sent).WaitAsync(TimeSpan.FromSeconds(30));

        var again = (await store.ClaimSessionAsync("s1", "u1", "node-1"))!;
        Assert.Empty(again.Inbox);
        Assert.Equal(["from-another-node"], again.Queue.Select(e => e.EventId));
    }

    [Fact]
    public async Task A_socket_registration_does_not_wait_out_the_commit_delay()
    {
        // A room call landing on another node looks the socket up by its row right after the socket connected.
        await using var store = await OpenStoreAsync(commitDelay: TimeSpan.FromMinutes(10), commitBatchSize: 1000);

        await store.RegisterSocketAsync("sock-1", "node-1").WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("node-1", (await store.FindSocketAsync("sock-1"))?.NodeId);
    }

    [Fact]
    public async Task Stopping_the_store_commits_a_batch_that_waits_out_its_delay()
    {
        var store = await OpenStoreAsync(commitDelay: TimeSpan.FromMinutes(10), commitBatchSize: 1000);
        await store.CreateSessionAsync(new SessionRecord("s1", "u1", NeedFullSync: false, RetentionDeadline: null));
        var epoch = (await store.ClaimSessionAsync("s1", "u1", "node-1"))!.Session.Epoch;
        var queued = store.AppendEventAsync("s1", epoch, 0, "e1", "{}"u8.ToArray(), Sent);

        await store.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(queued.IsCompletedSuccessfully);
        await using var reopened = await OpenStoreAsync();
        Assert.Equal(["e1"], (await reopened.ClaimSessionAsync("s1", "u1", "node-1"))!.Queue.Select(e => e.EventId));
    }

    [Fact]
    public async Task A_queue_write_fenced_out_into_the_inbox_completes_only_once_every_node_forgot_its_session_lists()
    {
        var announcements = new GatedSessionListInvalidation(open: false);
        await using var store = await OpenStoreAsync(sessionLists: announcements);
        await store.CreateSessionAsync(new SessionRecord("s1", "u1", NeedFullSync: false, RetentionDeadline: null));
        var stale = (await store.ClaimSessionAsync("s1", "u1", "node-1"))!.Session.Epoch;
        await store.ClaimSessionAsync("s1", "u1", "node-2"); // another node takes the session over

        var current = store.AppendEventAsync("s1", stale + 1, 0, "owned", [1], Sent);
        await current.WaitAsync(TimeSpan.FromSeconds(30)); // the owner's own write: nothing to announce
        Assert.Empty(announcements.Calls);
        var fencedOut = store.AppendEventAsync("s1", stale, 1, "fenced", [2], Sent);

        await Eventually.TrueAsync(() => announcements.Calls.Count == 1, because: "the fenced-out write was announced");
        Assert.Null(announcements.Calls[0]); // every user: the store does not know whose session it was
        Assert.False(fencedOut.IsCompleted);
        // Held, not merely late: the write stays incomplete while the announcement does (like A_claim_does_not_wait_out…).
        Assert.NotSame(fencedOut, await Task.WhenAny(fencedOut, Task.Delay(TimeSpan.FromMilliseconds(300))));
        announcements.Open();
        await fencedOut.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["fenced"], (await store.ClaimSessionAsync("s1", "u1", "node-2"))!.Inbox.Select(e => e.EventId));
    }

    private Task<AdoSessionStore> OpenStoreAsync(TimeSpan? commitDelay = null, int commitBatchSize = 256,
        OrleansSync.Delivery.ISessionListInvalidation? sessionLists = null) =>
        (_stores ??= new StoreUnderTest(Store, _folder)).OpenAsync(commitDelay, commitBatchSize, sessionLists);

    private StoreUnderTest? _stores;
}

public sealed class BatchWriterTestsOnSqlite : BatchWriterTests
{
    protected override StoreKind Store => StoreKind.Sqlite;
}

[Collection(nameof(PostgresServer))]
public sealed class BatchWriterTestsOnPostgres : BatchWriterTests
{
    protected override StoreKind Store => StoreKind.Postgres;
}
