using System.Text;
using System.Text.Json;
using OrleansSync.Delivery;
using OrleansSync.Storage;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Delivery;

/// <summary>
/// Grain logic on a real silo, time driven by hand (the grain timers run on the test's clock): minutes of protocol time
/// in milliseconds. Pushes arrive through the gateway observer a moment after the call that caused them, so the tests
/// wait for them; a step that must push nothing is one that fires no timer.
/// </summary>
public sealed class SessionGrainTests
{
    [Fact]
    public async Task Forty_resends_at_three_second_pace_then_close_and_delete()
    {
        await using var harness = await GrainHarness.StartAsync();
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);
        var published = await harness.PublishAsync("u1", """{"type":"added","id":"p1"}""");
        Assert.Equal(1, published.Sessions);
        var first = (await tab.FramesAsync(1)).Single();

        for (var resend = 1; resend <= 40; resend++)
        {
            await harness.AdvanceAsync(TimeSpan.FromSeconds(2.9));
            await harness.SettleAsync();
            Assert.Equal(resend, tab.Frames.Count); // not yet: no timer was due
            await harness.AdvanceAsync(TimeSpan.FromSeconds(0.1));
            var frames = await tab.FramesAsync(resend + 1);
            Assert.Equal(resend + 1, frames.Count);
            Assert.Equal(first, frames[^1]);
        }
        Assert.Empty(tab.Closes);
        await harness.AdvanceAsync(TimeSpan.FromSeconds(3));
        Assert.Equal([SessionCloseReason.MaxAttemptsReached], await tab.ClosesAsync());
        Assert.Equal(41, tab.Frames.Count);
        Assert.Null(harness.Store.Session(sessionId));
        Assert.Equal(0, harness.Store.QueuedCount(sessionId));
        Assert.Equal(0, (await harness.PublishAsync("u1", """{"type":"x"}""")).Sessions);
    }

    [Fact]
    public async Task A_detach_and_resume_keep_the_attempt_budget_running_from_the_first_send()
    {
        // First send at t0, ten re-sends, detach at t0+30 s, resume at t0+60 s: the budget (41 × 3 s) still ends at
        // t0+123 s, not 123 s after the resume. The resumed socket gets the replay and re-sends until then.
        await using var harness = await GrainHarness.StartAsync();
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);
        await harness.PublishAsync("u1", """{"type":"added","id":"p1"}""");
        var first = (await tab.FramesAsync(1)).Single();
        for (var resend = 1; resend <= 10; resend++)
        {
            await harness.AdvanceAsync(TimeSpan.FromSeconds(3));
            Assert.Equal(resend + 1, (await tab.FramesAsync(resend + 1)).Count);
        }
        await harness.DetachAsync(sessionId, tab); // t0+30 s
        await harness.AdvanceAsync(TimeSpan.FromSeconds(30));

        var back = harness.Gateway.Tab("socket-2");
        Assert.Equal(sessionId, await harness.OpenAsync("u1", sessionId, back)); // t0+60 s
        Assert.False((await back.OpenedAsync()).NeedFullSync);
        Assert.Equal(first, (await back.FramesAsync(1)).Single());
        for (var resend = 1; resend <= 20; resend++) // t0+63 s … t0+120 s
        {
            await harness.AdvanceAsync(TimeSpan.FromSeconds(3));
            var frames = await back.FramesAsync(resend + 1);
            Assert.Equal(resend + 1, frames.Count);
            Assert.Equal(first, frames[^1]);
        }
        await harness.AdvanceAsync(TimeSpan.FromSeconds(2.9));
        await harness.SettleAsync();
        Assert.Empty(back.Closes);
        await harness.AdvanceAsync(TimeSpan.FromSeconds(0.1)); // t0+123 s
        Assert.Equal([SessionCloseReason.MaxAttemptsReached], await back.ClosesAsync());
        Assert.Equal(21, back.Frames.Count);
        Assert.Null(harness.Store.Session(sessionId));
        Assert.Empty(tab.Closes); // the first socket was detached, never closed by the budget
    }

    [Fact]
    public async Task An_ack_stops_resends_of_that_event_only()
    {
        await using var harness = await GrainHarness.StartAsync();
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);
        var first = await harness.PublishAsync("u1", """{"type":"a"}""");
        var second = await harness.PublishAsync("u1", """{"type":"b"}""");
        await tab.FramesAsync(2);
        Assert.True(await harness.Sessions.Grain(sessionId).AckAsync(first.EventId));
        Assert.False(await harness.Sessions.Grain(sessionId).AckAsync(first.EventId));
        Assert.False(await harness.Sessions.Grain(sessionId).AckAsync("unknown"));
        await harness.AdvanceAsync(TimeSpan.FromSeconds(3));
        var frames = await tab.FramesAsync(3);
        Assert.Equal(3, frames.Count);
        Assert.Contains(second.EventId, frames[2]);
        Assert.Equal(1, harness.Store.QueuedCount(sessionId));
    }

    [Fact]
    public async Task Retention_window_keeps_queue_and_inbox_then_drops_them_and_sets_the_flag()
    {
        await using var harness = await GrainHarness.StartAsync();
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);
        var queued = await harness.PublishAsync("u1", """{"type":"a"}"""); // queued while attached, never acked
        await harness.DetachAsync(sessionId, tab);
        var missed = await harness.PublishAsync("u1", """{"type":"b"}"""); // detached: waits in the inbox
        Assert.Equal(1, harness.Store.InboxCount(sessionId));

        await harness.AdvanceAsync(TimeSpan.FromSeconds(119));
        var back = harness.Gateway.Tab("socket-2");
        Assert.Equal(sessionId, await harness.OpenAsync("u1", sessionId, back));
        Assert.False((await back.OpenedAsync()).NeedFullSync);
        var replayed = await back.FramesAsync(2);
        Assert.Equal(2, replayed.Count);
        Assert.Contains(queued.EventId, replayed[0]);
        Assert.Contains(missed.EventId, replayed[1]);
        Assert.Equal(2, harness.Store.QueuedCount(sessionId));
        Assert.Equal(0, harness.Store.InboxCount(sessionId));

        await harness.DetachAsync(sessionId, back);
        await harness.AdvanceAsync(TimeSpan.FromSeconds(120));
        await harness.PublishAsync("u1", """{"type":"c"}""");
        var late = harness.Gateway.Tab("socket-3");
        Assert.Equal(sessionId, await harness.OpenAsync("u1", sessionId, late));
        Assert.True((await late.OpenedAsync()).NeedFullSync);
        Assert.Empty(late.Frames);
        Assert.Equal(0, harness.Store.QueuedCount(sessionId));
        Assert.Equal(0, harness.Store.InboxCount(sessionId));
    }

    [Fact]
    public async Task The_sweeper_expires_detached_sessions_in_the_store()
    {
        await using var harness = await GrainHarness.StartAsync();
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);
        await harness.PublishAsync("u1", """{"type":"a"}""");
        await harness.DetachAsync(sessionId, tab);

        Assert.Equal(0, await harness.Store.ExpireSessionsAsync(harness.Time.GetUtcNow()));
        await harness.AdvanceAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await harness.Store.ExpireSessionsAsync(harness.Time.GetUtcNow()));
        Assert.Equal(0, harness.Store.QueuedCount(sessionId));
        Assert.True(harness.Store.Session(sessionId)!.NeedFullSync);
        Assert.Equal(0, await harness.Store.ExpireSessionsAsync(harness.Time.GetUtcNow()));
    }

    [Fact]
    public async Task A_resume_of_a_flagged_session_drops_rows_that_raced_the_flag_instead_of_replaying_them()
    {
        await using var harness = await GrainHarness.StartAsync();
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);
        await harness.DetachAsync(sessionId, tab);
        await harness.AdvanceAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await harness.Store.ExpireSessionsAsync(harness.Time.GetUtcNow()));
        var frame = "{\"type\":\"x\",\"event_id\":\"stale\"}"u8.ToArray();
        var racedId = harness.Store.InsertInboxRacingTheFlag(sessionId, "stale", frame);

        var back = harness.Gateway.Tab("socket-2");
        Assert.Equal(sessionId, await harness.OpenAsync("u1", sessionId, back));
        Assert.True((await back.OpenedAsync()).NeedFullSync);
        Assert.Equal(0, harness.Store.InboxCount(sessionId));
        // A drain that read the row before the drop committed (the node's poll) does not deliver it either.
        Assert.Equal(0, await harness.Sessions.AcceptInboxAsync(sessionId, [new InboxEvent(racedId, "stale", frame)]));
        await harness.AdvanceAsync(TimeSpan.FromSeconds(3)); // nothing left to re-send either
        // A marker published now is the first frame this socket ever gets: nothing stale went before it.
        var marker = await harness.PublishAsync("u1", """{"type":"marker"}""");
        Assert.Contains(marker.EventId, (await back.FramesAsync(1)).Single());
    }

    [Fact]
    public async Task A_detached_socket_keeps_the_queue_for_replay_and_its_later_pushes_go_nowhere()
    {
        await using var harness = await GrainHarness.StartAsync();
        var slow = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, slow);
        for (var i = 0; i < 3; i++)
        {
            await harness.PublishAsync("u1", $$"""{"type":"e","n":{{i}}}""");
        }
        // The gateway closed the socket (say, its buffer was full): the close detaches the session.
        await harness.DetachAsync(sessionId, slow);
        Assert.Equal(3, harness.Store.QueuedCount(sessionId));
        Assert.Null(harness.Store.Session(sessionId)!.OwnerNode);

        var back = harness.Gateway.Tab("socket-2");
        await harness.OpenAsync("u1", sessionId, back);
        Assert.False((await back.OpenedAsync()).NeedFullSync);
        Assert.Equal(3, (await back.FramesAsync(3)).Count);
        Assert.Equal(3, slow.Frames.Count);
    }

    [Fact]
    public async Task Events_for_a_detached_session_that_needs_full_sync_are_not_kept()
    {
        await using var harness = await GrainHarness.StartAsync(new DeliveryOptions { MaxQueuedPerSession = 2 });
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);
        await harness.DetachAsync(sessionId, tab);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(1, (await harness.PublishAsync("u1", """{"type":"e"}""")).Sessions);
        }
        // Five wait in the inbox; at the resume the bound is exceeded, so everything goes and the flag is reported.
        Assert.Equal(5, harness.Store.InboxCount(sessionId));
        var back = harness.Gateway.Tab("socket-2");
        await harness.OpenAsync("u1", sessionId, back);
        Assert.True((await back.OpenedAsync()).NeedFullSync);
        await harness.DetachAsync(sessionId, back);
        Assert.Empty(back.Frames);
        await harness.PublishAsync("u1", """{"type":"e"}""");
        Assert.Equal(1, harness.Store.InboxCount(sessionId)); // flag was cleared by the report, so new events are kept again
    }

    [Fact]
    public async Task A_claim_by_another_node_fences_the_old_owner_and_its_late_append_lands_in_the_inbox()
    {
        await using var harness = await GrainHarness.StartAsync();
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);
        var oldEpoch = harness.Store.Session(sessionId)!.Epoch;

        // Another node claims the session (its socket resumed there).
        var claimed = await harness.Store.ClaimSessionAsync(sessionId, "u1", "other-node");
        Assert.Equal(GrainHarness.NodeId, claimed!.PreviousOwner);
        Assert.True(claimed.Session.Epoch > oldEpoch);

        // The old owner still believes it owns the session: its append is refused and rerouted to the inbox.
        await harness.Store.AppendEventAsync(sessionId, oldEpoch, 99, "late-event", [1], harness.Time.GetUtcNow());
        Assert.Equal(0, harness.Store.QueuedCount(sessionId));
        Assert.Equal(1, harness.Store.InboxCount(sessionId));

        // The ownership check closes the old socket without writing.
        Assert.Equal([sessionId], await harness.Store.FindSessionsNotOwnedByAsync(GrainHarness.NodeId, [sessionId]));
        Assert.True(await harness.Sessions.LoseOwnershipAsync(sessionId));
        Assert.Equal([SessionCloseReason.Replaced], await tab.ClosesAsync());
        Assert.Equal("other-node", harness.Store.Session(sessionId)!.OwnerNode);
    }

    [Fact]
    public async Task Another_users_claim_is_refused_and_changes_nothing()
    {
        await using var harness = await GrainHarness.StartAsync();
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("alice", null, tab);
        var before = harness.Store.Session(sessionId);
        Assert.Null(await harness.Store.ClaimSessionAsync(sessionId, "mallory", "node-x"));
        Assert.Equal(before, harness.Store.Session(sessionId));
        var mallory = harness.Gateway.Tab("socket-m");
        Assert.NotEqual(sessionId, await harness.OpenAsync("mallory", sessionId, mallory));
        await mallory.OpenedAsync();
        // Alice's socket still gets her events: a publish to her reaches it, and it was never closed.
        var published = await harness.PublishAsync("alice", """{"type":"a"}""");
        Assert.Contains(published.EventId, (await tab.FramesAsync(1)).Single());
        Assert.Empty(tab.Closes);
    }

    [Fact]
    public async Task A_drain_before_the_previous_move_commits_does_not_resend_an_acked_event()
    {
        await using var harness = await GrainHarness.StartAsync();
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);
        await harness.Store.AppendInboxAsync(sessionId, "from-another-node", "{\"type\":\"x\",\"event_id\":\"from-another-node\"}"u8.ToArray());
        harness.Store.HoldInboxWrites();

        Assert.Equal(1, await DrainAsync(harness, sessionId));
        Assert.Single(await tab.FramesAsync(1));
        Assert.True(await harness.Sessions.Grain(sessionId).AckAsync("from-another-node"));
        Assert.Equal(1, harness.Store.InboxCount(sessionId)); // the move has not committed yet

        Assert.Equal(0, await DrainAsync(harness, sessionId)); // a wake-up and the poll may both drain
        harness.Store.CommitHeldInboxWrites();
        Assert.Equal(0, harness.Store.InboxCount(sessionId));
        var marker = await harness.PublishAsync("u1", """{"type":"marker"}""");
        var frames = await tab.FramesAsync(2);
        Assert.Equal(2, frames.Count); // the acked event was not sent again before the marker
        Assert.Contains(marker.EventId, frames[1]);
    }

    [Fact]
    public async Task A_publish_reaches_the_socket_after_events_already_waiting_in_its_inbox()
    {
        // An event published earlier through another node waits in the inbox (no wake-up handled yet); a publish
        // through this node must not overtake it.
        await using var harness = await GrainHarness.StartAsync();
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);
        await harness.Store.AppendInboxAsync(sessionId, "earlier", "{\"type\":\"x\",\"event_id\":\"earlier\"}"u8.ToArray());

        var later = await harness.PublishAsync("u1", "{\"type\":\"y\"}");

        var frames = await tab.FramesAsync(2);
        Assert.Equal(2, frames.Count);
        Assert.Contains("\"earlier\"", frames[0]);
        Assert.Contains(later.EventId, frames[1]);
        Assert.Equal(0, await DrainAsync(harness, sessionId)); // the node's own drain finds nothing new to send
        var marker = await harness.PublishAsync("u1", """{"type":"marker"}""");
        Assert.Contains(marker.EventId, (await tab.FramesAsync(3))[2]);
    }

    [Fact]
    public async Task A_replay_sends_one_window_and_each_ack_lets_the_next_event_out_in_order()
    {
        await using var harness = await GrainHarness.StartAsync(new DeliveryOptions { SendWindow = 3 });
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);
        var published = new List<string>();
        for (var i = 0; i < 5; i++) // attached: three go out, two wait queued
        {
            published.Add((await harness.PublishAsync("u1", $$"""{"type":"e","n":{{i}}}""")).EventId);
        }
        Assert.Equal(5, harness.Store.QueuedCount(sessionId));
        Assert.Equal(3, harness.Store.FirstSentTimes(sessionId).Count(t => t is not null));
        await harness.DetachAsync(sessionId, tab);
        for (var i = 5; i < 10; i++) // detached: they wait in the inbox
        {
            published.Add((await harness.PublishAsync("u1", $$"""{"type":"e","n":{{i}}}""")).EventId);
        }

        var back = harness.Gateway.Tab("socket-2");
        await harness.OpenAsync("u1", sessionId, back);
        Assert.False((await back.OpenedAsync()).NeedFullSync);
        Assert.Equal(published[..3], (await back.FramesAsync(3)).Select(EventIdOf));
        // Only the window went out (its rows carry their first sends); the rest waits, the inbox moved into the queue.
        Assert.Equal(10, harness.Store.QueuedCount(sessionId));
        Assert.Equal(0, harness.Store.InboxCount(sessionId));
        Assert.Equal(3, harness.Store.FirstSentTimes(sessionId).Count(t => t is not null));

        // A re-send tick re-sends what is in flight, and nothing that waits.
        await harness.AdvanceAsync(TimeSpan.FromSeconds(3));
        Assert.Equal(published[..3], (await back.FramesAsync(6)).Skip(3).Select(EventIdOf));
        Assert.Equal(3, harness.Store.FirstSentTimes(sessionId).Count(t => t is not null));

        // Every ack lets exactly the next one out, in queue order, until all ten went once (plus the three re-sends).
        for (var acked = 0; acked < 10; acked++)
        {
            Assert.True(await harness.Sessions.Grain(sessionId).AckAsync(published[acked]));
        }
        var frames = await back.FramesAsync(13);
        Assert.Equal(published[3..], frames.Skip(6).Select(EventIdOf));
        Assert.Equal(0, harness.Store.QueuedCount(sessionId));
        await harness.AdvanceAsync(TimeSpan.FromSeconds(3)); // nothing in flight: no re-send
        var marker = await harness.PublishAsync("u1", """{"type":"marker"}""");
        Assert.Equal(marker.EventId, EventIdOf((await back.FramesAsync(14))[13]));
    }

    [Fact]
    public async Task An_inbox_drain_fills_the_window_and_an_ack_of_a_waiting_event_takes_it_out_unsent()
    {
        await using var harness = await GrainHarness.StartAsync(new DeliveryOptions { SendWindow = 2 });
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);
        var ids = Enumerable.Range(0, 4).Select(i => $"inbox-{i}").ToList();
        foreach (var id in ids)
        {
            await harness.Store.AppendInboxAsync(sessionId, id, Encoding.UTF8.GetBytes($$"""{"type":"x","event_id":"{{id}}"}"""));
        }
        Assert.Equal(4, await DrainAsync(harness, sessionId));
        Assert.Equal(ids[..2], (await tab.FramesAsync(2)).Select(EventIdOf));
        Assert.Equal([true, true, false, false], harness.Store.FirstSentTimes(sessionId).Select(t => t is not null));

        // The tab had inbox-2 already (say, from an earlier socket): acked while waiting, it is never sent.
        Assert.True(await harness.Sessions.Grain(sessionId).AckAsync(ids[2]));
        Assert.True(await harness.Sessions.Grain(sessionId).AckAsync(ids[0]));
        Assert.Equal(ids[3], EventIdOf((await tab.FramesAsync(3))[2]));
        var marker = await harness.PublishAsync("u1", """{"type":"marker"}"""); // the window is full (inbox-1, inbox-3): it waits
        Assert.True(await harness.Sessions.Grain(sessionId).AckAsync(ids[1]));
        Assert.Equal(marker.EventId, EventIdOf((await tab.FramesAsync(4))[3]));
        Assert.DoesNotContain(tab.Frames, frame => EventIdOf(frame) == ids[2]);
    }

    [Fact]
    public async Task An_event_that_waited_for_the_window_gets_its_whole_attempt_budget_from_its_first_send_even_across_a_resume()
    {
        // Window of one, five re-sends of 3 s: e1 goes at t0 (budget to t0+18 s), e2 waits. The tab leaves at t0+3 s and
        // resumes at t0+12 s, acks e1, and only then does e2 go out: its budget runs from there (to t0+30 s), as if it had
        // been published then, though its row was written at t0.
        await using var harness = await GrainHarness.StartAsync(new DeliveryOptions { SendWindow = 1, MaxAttempts = 5 });
        var t0 = harness.Time.GetUtcNow();
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);
        var e1 = (await harness.PublishAsync("u1", """{"type":"a"}""")).EventId;
        var e2 = (await harness.PublishAsync("u1", """{"type":"b"}""")).EventId;
        Assert.Equal(e1, EventIdOf((await tab.FramesAsync(1)).Single()));
        await harness.AdvanceAsync(TimeSpan.FromSeconds(3));
        Assert.Equal(e1, EventIdOf((await tab.FramesAsync(2))[1])); // the re-send of e1, not e2
        await harness.DetachAsync(sessionId, tab);
        Assert.Equal([Millis(t0), null], harness.Store.FirstSentTimes(sessionId));

        await harness.AdvanceAsync(TimeSpan.FromSeconds(9)); // t0+12 s
        var back = harness.Gateway.Tab("socket-2");
        await harness.OpenAsync("u1", sessionId, back);
        Assert.Equal(e1, EventIdOf((await back.FramesAsync(1)).Single()));
        Assert.True(await harness.Sessions.Grain(sessionId).AckAsync(e1));
        Assert.Equal(e2, EventIdOf((await back.FramesAsync(2))[1]));
        Assert.Equal([Millis(t0 + TimeSpan.FromSeconds(12))], harness.Store.FirstSentTimes(sessionId)); // marked at its first send

        for (var resend = 1; resend <= 5; resend++) // t0+15 s … t0+27 s: past e1's deadline, e2 keeps its five re-sends
        {
            await harness.AdvanceAsync(TimeSpan.FromSeconds(3));
            Assert.Equal(e2, EventIdOf((await back.FramesAsync(2 + resend))[1 + resend]));
        }
        Assert.Empty(back.Closes);
        await harness.AdvanceAsync(TimeSpan.FromSeconds(3)); // t0+30 s
        Assert.Equal([SessionCloseReason.MaxAttemptsReached], await back.ClosesAsync());
        Assert.Equal(7, back.Frames.Count);
    }

    [Fact]
    public async Task An_ack_that_reaches_the_session_after_its_socket_detached_still_removes_the_event_from_the_replay()
    {
        await using var harness = await GrainHarness.StartAsync();
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);
        var applied = (await harness.PublishAsync("u1", """{"type":"a"}""")).EventId;
        var missed = (await harness.PublishAsync("u1", """{"type":"b"}""")).EventId;
        await tab.FramesAsync(2);
        await harness.DetachAsync(sessionId, tab); // the gateway closed the socket; the tab's ack was read after that

        Assert.False(await harness.Sessions.Grain(sessionId).AckAsync(applied));
        Assert.Equal(1, harness.Store.QueuedCount(sessionId));
        var back = harness.Gateway.Tab("socket-2");
        await harness.OpenAsync("u1", sessionId, back);
        Assert.False((await back.OpenedAsync()).NeedFullSync);
        Assert.Equal(missed, EventIdOf((await back.FramesAsync(1)).Single()));
    }

    [Fact]
    public async Task Concurrent_publishes_to_a_session_whose_socket_just_left_all_land_in_its_inbox()
    {
        // The node's copy of the user's list still names this node, so every publish calls the session's grain, which
        // leaves memory after each call: calls that queue up meanwhile are forwarded, and a call forwarded too often is
        // rejected by Orleans without running. Each publish must still be durable (in the inbox), never an error.
        await using var harness = await GrainHarness.StartAsync(sessionListLifetime: TimeSpan.FromHours(1));
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);
        await harness.PublishAsync("u1", """{"type":"warm"}"""); // the list copy (owner: this node) is made here
        await harness.DetachAsync(sessionId, tab);

        var published = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => harness.PublishAsync("u1", $$"""{"type":"e","n":{{i}}}""")));

        Assert.All(published, result => Assert.Equal(1, result.Sessions));
        Assert.Equal(200, harness.Store.InboxCount(sessionId));
    }

    private static string? EventIdOf(string frame) => JsonDocument.Parse(frame).RootElement.GetProperty("event_id").GetString();

    private static DateTimeOffset? Millis(DateTimeOffset at) => DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds());

    /// <summary>What a node's drain does: read its owned inboxes in one query, hand each session its events.</summary>
    private static async Task<int> DrainAsync(GrainHarness harness, string sessionId)
    {
        var waiting = await harness.Store.LoadOwnedInboxAsync(GrainHarness.NodeId, afterId: 0, limit: 100);
        return await harness.Sessions.AcceptInboxAsync(sessionId, waiting.Where(e => e.SessionId == sessionId).Select(e => e.Event).ToList());
    }
}
