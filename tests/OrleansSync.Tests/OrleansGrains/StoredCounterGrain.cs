using Orleans;
using Orleans.Runtime;

namespace OrleansSync.Tests.OrleansGrains;

/// <summary>Keeps its count in grain storage and counts the ticks of a reminder (the test cluster picks the store: SQLite or PostgreSQL).</summary>
public sealed class StoredCounterGrain(
    [PersistentState("counter", StoredCounterGrain.StorageName)] IPersistentState<StoredCounterState> state) : Grain, IStoredCounterGrain, IRemindable
{
    /// <summary>The grain storage name the test cluster registers its provider under.</summary>
    public const string StorageName = "counters";

    /// <summary>The reminder's name.</summary>
    public const string ReminderName = "tick";

    private readonly Guid _activation = Guid.NewGuid();

    public async Task<int> IncrementAsync()
    {
        state.State.Count++;
        await state.WriteStateAsync();
        return state.State.Count;
    }

    public Task<int> GetCountAsync() => Task.FromResult(state.State.Count);

    public Task<int> GetReminderTicksAsync() => Task.FromResult(state.State.ReminderTicks);

    public Task<Guid> GetActivationAsync() => Task.FromResult(_activation);

    public Task StartReminderAsync(TimeSpan period) => this.RegisterOrUpdateReminder(ReminderName, period, period);

    public async Task StopReminderAsync()
    {
        if (await this.GetReminder(ReminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        state.State.ReminderTicks++;
        await state.WriteStateAsync();
    }
}
