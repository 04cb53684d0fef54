using System.Text.Json;
using OrleansSync.Delivery;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Delivery;

/// <summary>
/// An attached session with nothing to send or re-send parks: its grain leaves memory, its socket stays attached, and
/// its next call brings it back as it was (SessionGrain.Parking.cs). The node suite runs it over real sockets
/// (<c>Gateway/SessionParkingNodeTests</c>).
/// </summary>
public sealed class SessionParkingTests
{
    [Fact]
    public async Task A_session_attached_with_nothing_to_replay_parks_and_its_next_event_brings_it_back()
    {
        await using var harness = await StartAsync();
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);

        await Eventually.TrueAsync(() => harness.Attached.ParkedCount == 1, because: "the session parks after its attach");
        Assert.False(harness.Attached.TryGetGrain(sessionId, out _));
        Assert.Equal(1, harness.Attached.Count);

        var published = await harness.PublishAsync("u1", Event(1));

        Assert.Equal([1], (await tab.FramesAsync(1)).Select(Number));
        Assert.True(harness.Attached.TryGetGrain(sessionId, out var grain), "the event brought the grain back");
        Assert.Equal(0, harness.Attached.ParkedCount);
        Assert.Equal(1, grain.QueuedCount);
        Assert.Equal(1, harness.Store.QueuedCount(sessionId));
        Assert.Equal(published.EventId, JsonDocument.Parse(tab.Frames[0]).RootElement.GetProperty("event_id").GetString());
    }

    [Fact]
    public async Task A_session_parks_again_once_its_events_are_acked_and_a_re_send_interval_passed_without_sends()
    {
        await using var harness = await StartAsync();
        var tab = harness.Gateway.Tab();
        var sessionId = await OpenParkedAsync(harness, tab);
        await DeliverAndAckAsync(harness, sessionId, tab, 1);

        await StepUntilAsync(harness, () => harness.Attached.ParkedCount == 1, because: "the tick that stops the re-send timer parks the session");

        // Back again for the next event, with the order of pushes and the queue's sequence carried over.
        await harness.PublishAsync("u1", Event(2));
        Assert.Equal([1, 2], (await tab.FramesAsync(2)).Select(Number));
        Assert.Equal(2, tab.Frames.Count);
    }

    [Fact]
    public async Task Events_queued_after_an_unpark_are_durable_under_the_sessions_claim_and_replay_in_order()
    {
        await using var harness = await StartAsync();
        var tab = harness.Gateway.Tab("socket-1");
        var sessionId = await OpenParkedAsync(harness, tab);
        var epoch = harness.Store.Session(sessionId)!.Epoch;

        await harness.PublishAsync("u1", Event(1)); // PublishAsync waits until the copy is durable
        await harness.PublishAsync("u1", Event(2));
        Assert.Equal(2, harness.Store.QueuedCount(sessionId)); // written with the parked claim's epoch: not fenced out
        Assert.Equal(epoch, harness.Store.Session(sessionId)!.Epoch);
        await harness.DetachAsync(sessionId, tab);

        var back = harness.Gateway.Tab("socket-2");
        Assert.Equal(sessionId, await harness.OpenAsync("u1", sessionId, back));
        Assert.False((await back.OpenedAsync()).NeedFullSync);
        Assert.Equal([1, 2], (await back.FramesAsync(2)).Select(Number));
    }

    [Fact]
    public async Task A_parked_sessions_socket_close_releases_it_with_its_retention_clock_started()
    {
        await using var harness = await StartAsync();
        var tab = harness.Gateway.Tab();
        var sessionId = await OpenParkedAsync(harness, tab);

        await harness.DetachAsync(sessionId, tab);

        Assert.Equal(0, harness.Attached.Count);
        await Eventually.TrueAsync(() => harness.Store.Session(sessionId) is { OwnerNode: null, RetentionDeadline: not null },
            because: "the close released the session");
    }

    [Fact]
    public async Task A_resume_by_another_socket_closes_the_parked_sessions_old_socket()
    {
        await using var harness = await StartAsync();
        var old = harness.Gateway.Tab("socket-1");
        var sessionId = await OpenParkedAsync(harness, old);

        var other = harness.Gateway.Tab("socket-2");
        Assert.Equal(sessionId, await harness.OpenAsync("u1", sessionId, other));

        Assert.Equal([SessionCloseReason.Replaced], await old.ClosesAsync());
        await harness.PublishAsync("u1", Event(1));
        Assert.Equal([1], (await other.FramesAsync(1)).Select(Number));
        Assert.Empty(old.Frames);
    }

    [Fact]
    public async Task A_session_with_an_event_in_flight_does_not_park()
    {
        await using var harness = await StartAsync();
        var tab = harness.Gateway.Tab();
        var sessionId = await OpenParkedAsync(harness, tab);
        await harness.PublishAsync("u1", Event(1)); // never acked

        // Re-sends go on, from the grain in memory.
        await StepUntilAsync(harness, () => tab.Frames.Count >= 4, because: "three re-sends");
        Assert.Equal(0, harness.Attached.ParkedCount);
        Assert.True(harness.Attached.TryGetGrain(sessionId, out _));
    }

    [Fact]
    public async Task Sessions_do_not_park_when_turned_off_or_where_parking_is_not_possible()
    {
        await using var off = await StartAsync(new DeliveryOptions { ParkIdleSessions = false });
        await using var cluster = await GrainHarness.StartAsync(gatewayInProcess: true, parking: false); // as on PostgreSQL
        foreach (var harness in new[] { off, cluster })
        {
            var tab = harness.Gateway.Tab();
            var sessionId = await harness.OpenAsync("u1", null, tab);
            await DeliverAndAckAsync(harness, sessionId, tab, 1);
            await harness.AdvanceAsync(harness.Delivery.RetryInterval * 3);
            await harness.SettleAsync(); // the ticks ran

            Assert.Equal(0, harness.Attached.ParkedCount);
            Assert.True(harness.Attached.TryGetGrain(sessionId, out _));
        }
    }

    [Fact]
    public async Task A_copy_queued_on_the_grain_during_its_claim_keeps_it_from_parking()
    {
        var announcements = new GatedSessionListInvalidation();
        await using var harness = await GrainHarness.StartAsync(announcements: announcements, gatewayInProcess: true, parking: true);
        var first = harness.Gateway.Tab("socket-1");
        var sessionId = await OpenParkedAsync(harness, first);

        // The tab reconnects: its resume brings the grain back, and the claim waits at the announcement. A copy then
        // finds the grain attached in the silo and is queued on it behind the claim, with nothing in its queue yet.
        var second = harness.Gateway.Tab("socket-2");
        var resume = await harness.ResumeHeldAtAnnouncementAsync(announcements, "u1", sessionId, second);
        var queued = await harness.PublishUntilReadAsync("u1", Event(1), because: "the publish was routed");
        announcements.Open();
        Assert.Equal(sessionId, await resume);
        await queued;

        Assert.Equal([1], (await second.FramesAsync(1)).Select(Number)); // not left to an activation on its way out
        Assert.Equal(0, harness.Store.InboxCount(sessionId));
        Assert.Equal(1, harness.Store.QueuedCount(sessionId));
    }

    [Fact]
    public async Task Work_offered_to_a_parked_sessions_old_activation_is_refused_and_goes_as_a_call()
    {
        await using var harness = await StartAsync();
        var tab = harness.Gateway.Tab();
        var sessionId = await OpenParkedAsync(harness, tab);
        // The grain object as a router or a read loop holds it a moment before it parks.
        SessionGrain? found = null;
        await DeliverAndAckAsync(harness, sessionId, tab, 1, whileInFlight: () => Assert.True(harness.Attached.TryGetGrain(sessionId, out found)));
        await StepUntilAsync(harness, () => harness.Attached.ParkedCount == 1, because: "parked again");

        Assert.NotNull(found);
        Assert.False(found.TryEnqueueNow("late", "{}"u8.ToArray(), out _));
        Assert.Null(found.EnqueueInSilo("late", "{}"u8.ToArray()));
        Assert.False(found.TryAckNow("late"));
        Assert.False(found.AckInSilo("late"));

        await harness.PublishAsync("u1", Event(2));
        Assert.Equal([1, 2], (await tab.FramesAsync(2)).Select(Number));
    }

    /// <summary>Opens a new session for <paramref name="tab"/> and waits until it has parked.</summary>
    private static async Task<string> OpenParkedAsync(GrainHarness harness, RecordingTab tab)
    {
        var sessionId = await harness.OpenAsync("u1", null, tab);
        await Eventually.TrueAsync(() => harness.Attached.ParkedCount == 1, because: "parked after the attach");
        return sessionId;
    }

    /// <summary>Publishes event <paramref name="number"/>, waits for the tab to get it, acks it and waits until its row is gone.</summary>
    private static async Task DeliverAndAckAsync(GrainHarness harness, string sessionId, RecordingTab tab, int number, Action? whileInFlight = null)
    {
        var published = await harness.PublishAsync("u1", Event(number));
        await Eventually.TrueAsync(() => tab.Frames.Any(frame => Number(frame) == number), because: $"the tab got event {number}");
        whileInFlight?.Invoke();
        harness.Sessions.Ack(sessionId, published.EventId);
        await Eventually.TrueAsync(() => harness.Store.QueuedCount(sessionId) == 0, because: "the ack removed the row");
    }

    private static Task<GrainHarness> StartAsync(DeliveryOptions? delivery = null) =>
        GrainHarness.StartAsync(delivery, gatewayInProcess: true, parking: true);

    /// <summary>Moves the grains' clock on a quarter interval at a time until <paramref name="condition"/> holds.</summary>
    private static Task StepUntilAsync(GrainHarness harness, Func<bool> condition, string because) =>
        Eventually.TrueAsync(() =>
        {
            if (condition())
            {
                return true;
            }
            harness.Time.Advance(harness.Delivery.RetryInterval / 4);
            return condition();
        }, because: because);

    private static string Event(int number) => $$"""{"type":"added","n":{{number}}}""";

    private static int Number(string frame) => JsonDocument.Parse(frame).RootElement.GetProperty("n").GetInt32();
}
