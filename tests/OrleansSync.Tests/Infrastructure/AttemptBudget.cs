using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>
/// A test's attempt budget (shortened <c>Delivery:RetryInterval</c> and <c>Delivery:MaxAttempts</c>) and the check that a
/// never-acked event closed its session at its original deadline after an interruption (a restart, a failover), not a
/// fresh budget after it. Times are measured from the first send's arrival at the test.
/// </summary>
public sealed class AttemptBudget(TimeSpan retryInterval, int maxAttempts)
{
    /// <summary>
    /// Lateness allowed beyond the one retry interval the rule itself allows: timer and thread pool scheduling on a loaded
    /// two-core machine, the session delete's commit before the close, and the close's trip through the gateway.
    /// </summary>
    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(1);

    /// <summary>The first frame's trip to the test (the deadline is measured from its arrival, a little after the send).</summary>
    private static readonly TimeSpan FirstFrameTrip = TimeSpan.FromMilliseconds(100);

    public TimeSpan RetryInterval { get; } = retryInterval;

    /// <summary>(MaxAttempts + 1) × RetryInterval: when an event first sent at 0 and never acked closes its session.</summary>
    public TimeSpan Budget { get; } = retryInterval * (maxAttempts + 1);

    /// <summary>The node settings that give this budget.</summary>
    public (string, string)[] Settings { get; } =
    [
        ("Delivery:RetryInterval", retryInterval.ToString("c", CultureInfo.InvariantCulture)),
        ("Delivery:MaxAttempts", maxAttempts.ToString(CultureInfo.InvariantCulture)),
    ];

    /// <summary>The next frame and when it arrived (start reading before the publish: its arrival is the first send's time).</summary>
    public static async Task<(JsonElement Frame, long At)> ReceiveTimedAsync(WsClient client)
    {
        var frame = await client.NextAsync();
        return (frame, Stopwatch.GetTimestamp());
    }

    /// <summary>
    /// The session closed at <paramref name="closed"/> after the first send: at the original deadline, at most one retry
    /// interval (and the tolerance) late, and sooner than a budget counted afresh from the resume at <paramref name="resumed"/>.
    /// </summary>
    public void AssertClosedAtOriginalDeadline(TimeSpan closed, TimeSpan resumed, string interruption, ITestOutputHelper output)
    {
        output.WriteLine($"closed {closed.TotalMilliseconds:F0} ms after the first send; deadline {Budget.TotalMilliseconds:F0} ms " +
            $"(a fresh budget would close at {(resumed + Budget).TotalMilliseconds:F0} ms)");
        Assert.InRange(closed, Budget - FirstFrameTrip, Budget + RetryInterval + Tolerance);
        Assert.True(closed < resumed + Budget - RetryInterval, $"the {interruption} gave the event a fresh budget");
    }
}
