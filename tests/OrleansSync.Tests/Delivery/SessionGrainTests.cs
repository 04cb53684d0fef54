using OrleansSync.Delivery;
using OrleansSync.Storage;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Delivery;

/// <summary>Grain logic driven by a fake clock (FakeTimeProvider): minutes of protocol time in milliseconds.</summary>
public sealed class SessionGrainTests
{
    // Spans longer than the grains' idle sweep (every 30 s) are walked a second at a time, so the sweep runs at its
    // own times and sees the idle time it would see in a running node (see AdvanceInSteps).
    private static readonly TimeSpan OneSecond = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Forty_resends_at_three_second_pace_then_close_and_delete()
    {
        using var harness = new GrainHarness();
        var tab = new RecordingObserver();
        var sessionId = await harness.Sessions.OpenAsync("u1", null, tab);
        var published = await harness.PublishAsync("u1", """{"type":"added","id":"p1"}""");
        Assert.Equal(1, published.Sessions);
        Assert.Single(tab.Frames);

        for (var resend = 1; resend <= 40; resend++)
        {
            harness.Time.Advance(TimeSpan.FromSeconds(2.9));
            Assert.Equal(resend, tab.Frames.Count); // not yet
            harness.Time.Advance(TimeSpan.FromSeconds(0.1));
            Assert.Equal(resend + 1, tab.Frames.Count);
            Assert.Equal(tab.Frames[0], tab.Frames[^1]);
        }
        Assert.Empty(tab.Closes);
        harness.Time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal([SessionCloseReason.MaxAttemptsReached], tab.Closes);
        Assert.Equal(41, tab.Frames.Count);
        Assert.Null(harness.Store.Session(sessionId));
        Assert.Equal(0, harness.Store.QueuedCount(sessionId));
        Assert.Equal(0, (await harness.PublishAsync("u1", """{"type":"x"}""")).Sessions);
    }

    [Fact]
    public async Task An_ack_stops_resends_of_that_event_only()
    {
        using var harness = new GrainHarness();
        var tab = new RecordingObserver();
        var sessionId = await harness.Sessions.OpenAsync("u1", null, tab);
        var first = await harness.PublishAsync("u1", """{"type":"a"}""");
        var second = await harness.PublishAsync("u1", """{"type":"b"}""");
        Assert.True(await harness.Sessions.AckAsync(sessionId, first.EventId));
        Assert.False(await harness.Sessions.AckAsync(sessionId, first.EventId));
        Assert.False(await harness.Sessions.AckAsync(sessionId, "unknown"));
        harness.Time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(3, tab.Frames.Count);
        Assert.Contains(second.EventId, tab.Frames[2]);
        Assert.Equal(1, harness.Store.QueuedCount(sessionId));
    }

    [Fact]
    public async Task Retention_window_keeps_queue_and_inbox_then_drops_them_and_sets_the_flag()
    {
        using var harness = new GrainHarness();
        var tab = new RecordingObserver();
        var sessionId = await harness.Sessions.OpenAsync("u1", null, tab);
        var queued = await harness.PublishAsync("u1", """{"type":"a"}"""); // queued while attached, never acked
        await harness.Sessions.DetachAsync(sessionId, tab);
        var missed = await harness.PublishAsync("u1", """{"type":"b"}"""); // detached: waits in the inbox
        Assert.Equal(1, harness.Store.InboxCount(sessionId));

        harness.Time.AdvanceInSteps(TimeSpan.FromSeconds(119), OneSecond);
        var back = new RecordingObserver("socket-2");
        Assert.Equal(sessionId, await harness.Sessions.OpenAsync("u1", sessionId, back));
        Assert.False(back.Opened.Single().NeedFullSync);
        Assert.Equal(2, back.Frames.Count);
        Assert.Contains(queued.EventId, back.Frames[0]);
        Assert.Contains(missed.EventId, back.Frames[1]);
        Assert.Equal(2, harness.Store.QueuedCount(sessionId));
        Assert.Equal(0, harness.Store.InboxCount(sessionId));

        await harness.Sessions.DetachAsync(sessionId, back);
        harness.Time.AdvanceInSteps(TimeSpan.FromSeconds(120), OneSecond);
        await harness.PublishAsync("u1", """{"type":"c"}""");
        var late = new RecordingObserver("socket-3");
        Assert.Equal(sessionId, await harness.Sessions.OpenAsync("u1", sessionId, late));
        Assert.True(late.Opened.Single().NeedFullSync);
        Assert.Empty(late.Frames);
        Assert.Equal(0, harness.Store.QueuedCount(sessionId));
        Assert.Equal(0, harness.Store.InboxCount(sessionId));
    }

    [Fact]
    public async Task The_sweeper_expires_detached_sessions_in_the_store()
    {
        using var harness = new GrainHarness();
        var tab = new RecordingObserver();
        var sessionId = await harness.Sessions.OpenAsync("u1", null, tab);
        await harness.PublishAsync("u1", """{"type":"a"}""");
        await harness.Sessions.DetachAsync(sessionId, tab);

        Assert.Equal(0, await harness.Store.ExpireSessionsAsync(harness.Time.GetUtcNow()));
        harness.Time.AdvanceInSteps(TimeSpan.FromMinutes(2), OneSecond);
        Assert.Equal(1, await harness.Store.ExpireSessionsAsync(harness.Time.GetUtcNow()));
        Assert.Equal(0, harness.Store.QueuedCount(sessionId));
        Assert.True(harness.Store.Session(sessionId)!.NeedFullSync);
        Assert.Equal(0, await harness.Store.ExpireSessionsAsync(harness.Time.GetUtcNow()));
    }

    [Fact]
    public async Task A_resume_of_a_flagged_session_drops_rows_that_raced_the_flag_instead_of_replaying_them()
    {
        using var harness = new GrainHarness();
        var tab = new RecordingObserver();
        var sessionId = await harness.Sessions.OpenAsync("u1", null, tab);
        await harness.Sessions.DetachAsync(sessionId, tab);
        harness.Time.AdvanceInSteps(TimeSpan.FromMinutes(2), OneSecond);
        Assert.Equal(1, await harness.Store.ExpireSessionsAsync(harness.Time.GetUtcNow()));
        var frame = "{\"type\":\"x\",\"event_id\":\"stale\"}"u8.ToArray();
        var racedId = harness.Store.InsertInboxRacingTheFlag(sessionId, "stale", frame);

        var back = new RecordingObserver("socket-2");
        Assert.Equal(sessionId, await harness.Sessions.OpenAsync("u1", sessionId, back));
        Assert.True(back.Opened.Single().NeedFullSync);
        Assert.Empty(back.Frames);
        Assert.Equal(0, harness.Store.InboxCount(sessionId));
        // A drain that read the row before the drop committed (the node's poll) does not deliver it either.
        Assert.Equal(0, await harness.Sessions.AcceptInboxAsync(sessionId, [new InboxEvent(racedId, "stale", frame)]));
        Assert.Empty(back.Frames);
        harness.Time.Advance(TimeSpan.FromSeconds(3));
        Assert.Empty(back.Frames); // nothing left to re-send either
    }

    [Fact]
    public async Task A_full_outbound_buffer_detaches_the_socket_and_keeps_the_queue_for_replay()
    {
        using var harness = new GrainHarness();
        var slow = new RecordingObserver(capacity: 2);
        var sessionId = await harness.Sessions.OpenAsync("u1", null, slow);
        for (var i = 0; i < 3; i++)
        {
            await harness.PublishAsync("u1", $$"""{"type":"e","n":{{i}}}""");
        }
        Assert.Equal([SessionCloseReason.SlowConsumer], slow.Closes);
        Assert.Equal(3, harness.Store.QueuedCount(sessionId));
        Assert.Null(harness.Store.Session(sessionId)!.OwnerNode);

        var back = new RecordingObserver("socket-2");
        await harness.Sessions.OpenAsync("u1", sessionId, back);
        Assert.False(back.Opened.Single().NeedFullSync);
        Assert.Equal(3, back.Frames.Count);
    }

    [Fact]
    public async Task Events_for_a_detached_session_that_needs_full_sync_are_not_kept()
    {
        using var harness = new GrainHarness(new DeliveryOptions { MaxQueuedPerSession = 2 });
        var tab = new RecordingObserver();
        var sessionId = await harness.Sessions.OpenAsync("u1", null, tab);
        await harness.Sessions.DetachAsync(sessionId, tab);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(1, (await harness.PublishAsync("u1", """{"type":"e"}""")).Sessions);
        }
        // Five wait in the inbox; at the resume the bound is exceeded, so everything goes and the flag is reported.
        Assert.Equal(5, harness.Store.InboxCount(sessionId));
        var back = new RecordingObserver("socket-2");
        await harness.Sessions.OpenAsync("u1", sessionId, back);
        Assert.True(back.Opened.Single().NeedFullSync);
        Assert.Empty(back.Frames);
        await harness.Sessions.DetachAsync(sessionId, back);
        await harness.PublishAsync("u1", """{"type":"e"}""");
        Assert.Equal(1, harness.Store.InboxCount(sessionId)); // flag was cleared by the report, so new events are kept again
    }

    [Fact]
    public async Task A_claim_by_another_node_fences_the_old_owner_and_its_late_append_lands_in_the_inbox()
    {
        using var harness = new GrainHarness();
        var tab = new RecordingObserver();
        var sessionId = await harness.Sessions.OpenAsync("u1", null, tab);
        var oldEpoch = harness.Store.Session(sessionId)!.Epoch;

        // Another node claims the session (its socket resumed there).
        var claimed = await harness.Store.ClaimSessionAsync(sessionId, "u1", "other-node");
        Assert.Equal(GrainHarness.NodeId, claimed!.PreviousOwner);
        Assert.True(claimed.Session.Epoch > oldEpoch);

        // The old owner still believes it owns the session: its append is refused and rerouted to the inbox.
        await harness.Store.AppendEventAsync(sessionId, oldEpoch, 99, "late-event", [1]);
        Assert.Equal(0, harness.Store.QueuedCount(sessionId));
        Assert.Equal(1, harness.Store.InboxCount(sessionId));

        // The ownership check closes the old socket without writing.
        Assert.Equal([sessionId], await harness.Store.FindSessionsNotOwnedByAsync(GrainHarness.NodeId, [sessionId]));
        Assert.True(await harness.Sessions.LoseOwnershipAsync(sessionId));
        Assert.Equal([SessionCloseReason.Replaced], tab.Closes);
        Assert.Equal("other-node", harness.Store.Session(sessionId)!.OwnerNode);
    }

    [Fact]
    public async Task Another_users_claim_is_refused_and_changes_nothing()
    {
        using var harness = new GrainHarness();
        var tab = new RecordingObserver();
        var sessionId = await harness.Sessions.OpenAsync("alice", null, tab);
        var before = harness.Store.Session(sessionId);
        Assert.Null(await harness.Store.ClaimSessionAsync(sessionId, "mallory", "node-x"));
        Assert.Equal(before, harness.Store.Session(sessionId));
        var mallory = new RecordingObserver("socket-m");
        Assert.NotEqual(sessionId, await harness.Sessions.OpenAsync("mallory", sessionId, mallory));
        Assert.Empty(tab.Closes);
    }

    [Fact]
    public async Task A_drain_before_the_previous_move_commits_does_not_resend_an_acked_event()
    {
        using var harness = new GrainHarness();
        var tab = new RecordingObserver();
        var sessionId = await harness.Sessions.OpenAsync("u1", null, tab);
        await harness.Store.AppendInboxAsync(sessionId, "from-another-node", "{\"type\":\"x\",\"event_id\":\"from-another-node\"}"u8.ToArray());
        harness.Store.HoldInboxWrites();

        Assert.Equal(1, await DrainAsync(harness, sessionId));
        Assert.Single(tab.Frames);
        Assert.True(await harness.Sessions.AckAsync(sessionId, "from-another-node"));
        Assert.Equal(1, harness.Store.InboxCount(sessionId)); // the move has not committed yet

        Assert.Equal(0, await DrainAsync(harness, sessionId)); // a wake-up and the poll may both drain
        Assert.Single(tab.Frames);
        harness.Store.CommitHeldInboxWrites();
        Assert.Equal(0, harness.Store.InboxCount(sessionId));
    }

    [Fact]
    public async Task A_publish_reaches_the_socket_after_events_already_waiting_in_its_inbox()
    {
        // An event published earlier through another node waits in the inbox (no wake-up handled yet); a publish
        // through this node must not overtake it.
        using var harness = new GrainHarness();
        var tab = new RecordingObserver();
        var sessionId = await harness.Sessions.OpenAsync("u1", null, tab);
        await harness.Store.AppendInboxAsync(sessionId, "earlier", "{\"type\":\"x\",\"event_id\":\"earlier\"}"u8.ToArray());

        var later = await harness.PublishAsync("u1", "{\"type\":\"y\"}");

        Assert.Equal(2, tab.Frames.Count);
        Assert.Contains("\"earlier\"", tab.Frames[0]);
        Assert.Contains(later.EventId, tab.Frames[1]);
        Assert.Equal(0, await DrainAsync(harness, sessionId)); // the node's own drain finds nothing new to send
        Assert.Equal(2, tab.Frames.Count);
    }

    /// <summary>What a node's drain does: read its owned inboxes in one query, hand each session its events.</summary>
    private static async Task<int> DrainAsync(GrainHarness harness, string sessionId)
    {
        var waiting = await harness.Store.LoadOwnedInboxAsync(GrainHarness.NodeId, afterId: 0, limit: 100);
        return await harness.Sessions.AcceptInboxAsync(sessionId, waiting.Where(e => e.SessionId == sessionId).Select(e => e.Event).ToList());
    }
}
