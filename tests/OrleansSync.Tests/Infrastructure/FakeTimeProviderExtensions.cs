using Microsoft.Extensions.Time.Testing;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>Moving a <see cref="FakeTimeProvider"/> the way a running clock moves.</summary>
public static class FakeTimeProviderExtensions
{
    /// <summary>
    /// Advances <paramref name="time"/> by <paramref name="by"/> in steps of <paramref name="step"/>. A single
    /// <see cref="FakeTimeProvider.Advance"/> sets the clock to its end first and then runs every timer that fell
    /// due, so each callback reads the end time: an idle sweep due at 30 s that runs after a 120 s jump sees a grain
    /// idle for 120 s, and a timer that re-arms itself from its callback fires once instead of once per period. In
    /// steps, every timer whose due time lies on the step grid runs at that time, as on a real clock.
    /// </summary>
    public static void AdvanceInSteps(this FakeTimeProvider time, TimeSpan by, TimeSpan step)
    {
        if (step <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "a step must move the clock");
        }
        for (var left = by; left > TimeSpan.Zero; left -= step)
        {
            time.Advance(left < step ? left : step);
        }
    }
}
