using Orleans;

namespace OrleansSync.Tests.OrleansGrains;

/// <summary>Counts the ticks of one grain timer (in memory: the test is about the clock, not about state).</summary>
public sealed class TimerProbeGrain : Grain, ITimerProbeGrain
{
    private IGrainTimer? _timer;
    private int _fired;

    public Task StartTimerAsync(TimeSpan dueTime)
    {
        _timer?.Dispose();
        _timer = this.RegisterGrainTimer(() =>
        {
            _fired++;
            return Task.CompletedTask;
        }, dueTime, dueTime);
        return Task.CompletedTask;
    }

    public Task<int> GetFiredAsync() => Task.FromResult(_fired);
}
