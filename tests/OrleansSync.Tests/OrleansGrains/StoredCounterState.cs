using Orleans;

namespace OrleansSync.Tests.OrleansGrains;

/// <summary>The persistent state of <see cref="StoredCounterGrain"/>.</summary>
[GenerateSerializer]
public sealed class StoredCounterState
{
    [Id(0)]
    public int Count { get; set; }

    [Id(1)]
    public int ReminderTicks { get; set; }
}
