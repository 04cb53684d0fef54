using Orleans;

namespace OrleansSync.Tests.OrleansGrains;

/// <summary>A test grain with one grain timer, to see which clock drives grain timers.</summary>
public interface ITimerProbeGrain : IGrainWithStringKey
{
    /// <summary>Starts a grain timer due after <paramref name="dueTime"/>, then every <paramref name="dueTime"/>.</summary>
    Task StartTimerAsync(TimeSpan dueTime);

    /// <summary>How often the timer has fired.</summary>
    Task<int> GetFiredAsync();
}
