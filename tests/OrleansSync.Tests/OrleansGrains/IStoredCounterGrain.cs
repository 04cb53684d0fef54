using Orleans;

namespace OrleansSync.Tests.OrleansGrains;

/// <summary>A test grain whose count and reminder ticks live in Orleans grain state (on SQLite or PostgreSQL).</summary>
public interface IStoredCounterGrain : IGrainWithStringKey
{
    /// <summary>Adds one to the count and writes the state.</summary>
    Task<int> IncrementAsync();

    Task<int> GetCountAsync();

    /// <summary>How often the reminder has fired, over every activation (it is in the state).</summary>
    Task<int> GetReminderTicksAsync();

    /// <summary>Tells one activation from the next.</summary>
    Task<Guid> GetActivationAsync();

    Task StartReminderAsync(TimeSpan period);

    Task StopReminderAsync();
}
