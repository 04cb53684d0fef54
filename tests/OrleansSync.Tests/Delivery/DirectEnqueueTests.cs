using System.Text.Json;
using OrleansSync.Delivery;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Delivery;

/// <summary>
/// With the gateway in the silo's process (as on every node), a copy for an idle attached session goes to its socket on
/// the publishing grain's own turn, and an ack is handled on the socket's read loop
/// (<see cref="SessionGrain.TryEnqueueNow"/>, <see cref="SessionGrain.TryAckNow"/>); a session grain with a turn running or
/// queued gets the work queued as before, and later copies do not overtake it. The behaviour suites over real sockets
/// run this path end to end.
/// </summary>
public sealed class DirectEnqueueTests
{
    [Fact]
    public async Task A_copy_for_an_idle_session_is_pushed_in_the_publishing_grains_turn()
    {
        await using var harness = await GrainHarness.StartAsync(gatewayInProcess: true);
        var tab = harness.Gateway.Tab();
        await harness.OpenAsync("u1", null, tab);

        await harness.PublishAsync("u1", Event(1));

        await tab.FramesAsync(1);
        Assert.Equal([nameof(UserGrain)], tab.Senders);
    }

    [Fact]
    public async Task Copies_queued_behind_a_claim_are_not_overtaken_by_later_copies()
    {
        var announcements = new GatedSessionListInvalidation();
        await using var harness = await GrainHarness.StartAsync(announcements: announcements, gatewayInProcess: true);
        var first = harness.Gateway.Tab("socket-1");
        var sessionId = await harness.OpenAsync("u1", null, first);

        // The tab reconnects; its claim waits at the announcement, so the session grain has a turn running.
        var second = harness.Gateway.Tab("socket-2");
        var resume = await harness.ResumeHeldAtAnnouncementAsync(announcements, "u1", sessionId, second);
        var queued = await harness.PublishUntilReadAsync("u1", Event(1), because: "the publish was routed (its copy then waits for the claim)");
        Assert.False(queued.IsCompleted);
        Assert.True(harness.Attached.TryGetGrain(sessionId, out var grain));
        Assert.False(grain.TryEnqueueNow("probe", "{}"u8.ToArray(), out _), "a copy went out directly while the grain's claim ran");
        announcements.Open();
        Assert.Equal(sessionId, await resume);

        for (var n = 2; n <= 6; n++)
        {
            await harness.PublishAsync("u1", Event(n)); // at once: the first copy may still be queued on the grain
        }
        await queued;

        var frames = await second.FramesAsync(6);
        Assert.Equal([1, 2, 3, 4, 5, 6], frames.Select(Number));
        Assert.Equal(nameof(SessionGrain), second.Senders[0]); // the copy that waited went out in the grain's own turn
    }

    [Fact]
    public async Task A_copy_sent_directly_is_re_sent_until_acked()
    {
        await using var harness = await GrainHarness.StartAsync(gatewayInProcess: true);
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);
        var published = await harness.PublishAsync("u1", Event(1));
        var sent = (await tab.FramesAsync(1)).Single();

        await ResendDueAsync(harness);
        Assert.Equal([sent, sent], await tab.FramesAsync(2));

        harness.Sessions.Ack(sessionId, published.EventId);
        await Eventually.TrueAsync(() => harness.Store.QueuedCount(sessionId) == 0, because: "the ack removed the row");
        await harness.AdvanceAsync(harness.Delivery.RetryInterval * 3);
        await harness.SettleAsync(); // a tick the clock fired has run
        Assert.Equal(2, tab.Frames.Count);
    }

    [Fact]
    public async Task An_ack_handled_on_the_read_loop_lets_the_next_waiting_copy_out()
    {
        await using var harness = await GrainHarness.StartAsync(new DeliveryOptions { SendWindow = 1 }, gatewayInProcess: true);
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);
        var firstEvent = await harness.PublishAsync("u1", Event(1));
        await harness.PublishAsync("u1", Event(2)); // waits for the window
        Assert.Single(await tab.FramesAsync(1));

        harness.Sessions.Ack(sessionId, firstEvent.EventId);

        var frames = await tab.FramesAsync(2);
        Assert.Equal([1, 2], frames.Select(Number));
        Assert.Null(tab.Senders[1]); // pushed by the ack, on the acking thread: no grain turn
        Assert.Equal(1, harness.Store.QueuedCount(sessionId));
        Assert.True(harness.Attached.TryGetGrain(sessionId, out var grain));
        Assert.Equal(1, grain.QueuedCount);
    }

    private static string Event(int number) => $$"""{"type":"added","n":{{number}}}""";

    private static int Number(string frame) => JsonDocument.Parse(frame).RootElement.GetProperty("n").GetInt32();

    /// <summary>
    /// Moves the grains' clock on by one re-send interval in steps, waiting between them: the timer of a copy sent
    /// directly is armed by work queued on its grain, which may run after the first step.
    /// </summary>
    private static Task ResendDueAsync(GrainHarness harness)
    {
        var until = harness.Time.GetUtcNow() + harness.Delivery.RetryInterval;
        var tab = harness.Gateway.Tab();
        return Eventually.TrueAsync(() =>
        {
            if (harness.Time.GetUtcNow() < until)
            {
                harness.Time.Advance(TimeSpan.FromMilliseconds(250));
            }
            return tab.Frames.Count >= 2;
        }, because: "a re-send after one interval");
    }
}
