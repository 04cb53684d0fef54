using OrleansSync.Delivery;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Delivery;

/// <summary>Grain logic driven by a manual clock: minutes of protocol time in milliseconds.</summary>
public sealed class SessionGrainTests
{
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

        // The user's fan-out forgot the deleted session.
        await Eventually.TrueAsync(async () => (await harness.PublishAsync("u1", """{"type":"x"}""")).Sessions == 0);
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
    public async Task Retention_window_keeps_the_queue_then_drops_it_and_sets_the_flag()
    {
        using var harness = new GrainHarness();
        var tab = new RecordingObserver();
        var sessionId = await harness.Sessions.OpenAsync("u1", null, tab);
        await harness.Sessions.DetachAsync(sessionId, tab);
        await harness.PublishAsync("u1", """{"type":"a"}""");

        harness.Time.Advance(TimeSpan.FromSeconds(119));
        var back = new RecordingObserver("socket-2");
        Assert.Equal(sessionId, await harness.Sessions.OpenAsync("u1", sessionId, back));
        Assert.False(back.Opened.Single().NeedFullSync);
        Assert.Single(back.Frames);

        await harness.Sessions.DetachAsync(sessionId, back);
        harness.Time.Advance(TimeSpan.FromSeconds(120));
        await harness.PublishAsync("u1", """{"type":"b"}""");
        var late = new RecordingObserver("socket-3");
        Assert.Equal(sessionId, await harness.Sessions.OpenAsync("u1", sessionId, late));
        Assert.True(late.Opened.Single().NeedFullSync);
        Assert.Empty(late.Frames);
        Assert.Equal(0, harness.Store.QueuedCount(sessionId));
    }

    [Fact]
    public async Task The_sweeper_expires_a_detached_session_through_its_grain()
    {
        using var harness = new GrainHarness();
        var tab = new RecordingObserver();
        var sessionId = await harness.Sessions.OpenAsync("u1", null, tab);
        await harness.PublishAsync("u1", """{"type":"a"}""");
        await harness.Sessions.DetachAsync(sessionId, tab);
        var sweeper = new RetentionSweeper(harness.Store, harness.Grains, harness.DeliveryMonitor, harness.Time, Microsoft.Extensions.Logging.Abstractions.NullLogger<RetentionSweeper>.Instance);

        Assert.Equal(0, await sweeper.SweepOnceAsync(CancellationToken.None));
        harness.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await sweeper.SweepOnceAsync(CancellationToken.None));
        Assert.Equal(0, harness.Store.QueuedCount(sessionId));
        Assert.True(harness.Store.Session(sessionId)!.NeedFullSync);
        Assert.Equal(0, await sweeper.SweepOnceAsync(CancellationToken.None));
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

        var back = new RecordingObserver("socket-2");
        await harness.Sessions.OpenAsync("u1", sessionId, back);
        Assert.False(back.Opened.Single().NeedFullSync);
        Assert.Equal(3, back.Frames.Count);
    }

    [Fact]
    public async Task Events_published_to_a_session_that_needs_full_sync_are_not_queued()
    {
        using var harness = new GrainHarness(new DeliveryOptions { MaxQueuedPerSession = 2 });
        var tab = new RecordingObserver();
        var sessionId = await harness.Sessions.OpenAsync("u1", null, tab);
        await harness.Sessions.DetachAsync(sessionId, tab);
        for (var i = 0; i < 5; i++)
        {
            var result = await harness.PublishAsync("u1", """{"type":"e"}""");
            Assert.Equal(1, result.Sessions);
        }
        Assert.Equal(0, harness.Store.QueuedCount(sessionId));
        Assert.True(harness.Store.Session(sessionId)!.NeedFullSync);
    }
}
