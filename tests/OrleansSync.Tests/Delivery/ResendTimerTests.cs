using Orleans.Runtime.Diagnostics;
using OrleansSync.Delivery;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Delivery;

/// <summary>
/// A session's re-send timer (an Orleans grain timer) outlives a tick that finds nothing in flight when the session sent
/// something since the timer was last set, so a busy session keeps one timer instead of a new one after every tick; a
/// session with no sends since its last tick stops ticking. Timers are counted through Orleans' own diagnostics
/// (<see cref="GrainTimerEvents"/>).
/// </summary>
public sealed class ResendTimerTests
{
    [Fact]
    public async Task A_busy_session_keeps_one_timer_and_re_sends_on_time()
    {
        await using var harness = await GrainHarness.StartAsync(gatewayInProcess: true);
        var tab = harness.Gateway.Tab();
        using var timers = await SentSinceTheTimerWasSetAsync(harness, tab);

        await harness.AdvanceAsync(harness.Delivery.RetryInterval); // a tick with nothing in flight, after a send
        await harness.SettleAsync();
        Assert.Equal(1, timers.Ticks);
        await harness.PublishAsync("u1", Event(3)); // sent just after the tick, never acked
        var sent = (await tab.FramesAsync(3))[2];
        await harness.AdvanceAsync(harness.Delivery.RetryInterval);

        Assert.Equal(sent, (await tab.FramesAsync(4))[3]);
        Assert.Equal(1, timers.Created);
    }

    [Fact]
    public async Task An_idle_session_stops_ticking_and_a_later_copy_arms_a_new_timer()
    {
        await using var harness = await GrainHarness.StartAsync(gatewayInProcess: true);
        var tab = harness.Gateway.Tab();
        using var timers = await SentSinceTheTimerWasSetAsync(harness, tab);

        await harness.AdvanceAsync(harness.Delivery.RetryInterval); // kept: a send came after the timer was set
        await harness.AdvanceAsync(harness.Delivery.RetryInterval); // nothing sent since: stopped
        await harness.SettleAsync();
        Assert.Equal(2, timers.Ticks);
        await harness.AdvanceAsync(harness.Delivery.RetryInterval * 3);
        await harness.SettleAsync();
        Assert.Equal(2, timers.Ticks);

        await harness.PublishAsync("u1", Event(3));
        var sent = (await tab.FramesAsync(3))[2];
        await Eventually.TrueAsync(() => timers.Created == 2, because: "the copy armed a new timer");
        await harness.AdvanceAsync(harness.Delivery.RetryInterval);
        Assert.Equal(sent, (await tab.FramesAsync(4))[3]);
    }

    /// <summary>
    /// Opens u1's session on <paramref name="tab"/> and has it send and get acked two copies, the second after the re-send
    /// timer was set (so the timer's first tick keeps it); counts that session's timers from before the first.
    /// </summary>
    private static async Task<TimerEventCount> SentSinceTheTimerWasSetAsync(GrainHarness harness, RecordingTab tab)
    {
        var sessionId = await harness.OpenAsync("u1", null, tab);
        var timers = new TimerEventCount(harness, sessionId);
        await PublishAndAckAsync(harness, sessionId, tab, 1, () => timers.Created == 1);
        await PublishAndAckAsync(harness, sessionId, tab, 2);
        return timers;
    }

    /// <summary>Publishes event <paramref name="number"/>, waits for its copy (and <paramref name="beforeAck"/>), acks it and waits for the ack's effect.</summary>
    private static async Task PublishAndAckAsync(GrainHarness harness, string sessionId, RecordingTab tab, int number, Func<bool>? beforeAck = null)
    {
        var published = await harness.PublishAsync("u1", Event(number));
        await tab.FramesAsync(number);
        if (beforeAck is not null)
        {
            // The timer is armed by work queued on the grain, which an ack handled first would find with nothing to re-send.
            await Eventually.TrueAsync(beforeAck, because: "the copy armed the re-send timer");
        }
        harness.Sessions.Ack(sessionId, published.EventId);
        await Eventually.TrueAsync(() => harness.Store.QueuedCount(sessionId) == 0, because: "the ack removed the row");
    }

    private static string Event(int number) => $$"""{"type":"added","n":{{number}}}""";

    /// <summary>Counts the timers created, and their ticks, for one session grain of the harness.</summary>
    private sealed class TimerEventCount : IObserver<GrainTimerEvents.TimerEvent>, IDisposable
    {
        private readonly SessionGrain _grain;
        private readonly IDisposable _subscription;
        private int _created;
        private int _ticks;

        public TimerEventCount(GrainHarness harness, string sessionId)
        {
            Assert.True(harness.Attached.TryGetGrain(sessionId, out var grain));
            _grain = grain;
            _subscription = GrainTimerEvents.AllEvents.Subscribe(this);
        }

        public int Created => Volatile.Read(ref _created);

        public int Ticks => Volatile.Read(ref _ticks);

        public void OnNext(GrainTimerEvents.TimerEvent value)
        {
            if (!ReferenceEquals(value.GrainContext.GrainInstance, _grain))
            {
                return;
            }
            if (value is GrainTimerEvents.Created)
            {
                Interlocked.Increment(ref _created);
            }
            else if (value is GrainTimerEvents.TickStart)
            {
                Interlocked.Increment(ref _ticks);
            }
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void Dispose() => _subscription.Dispose();
    }
}
