using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>
/// A test's attempt budget (shortened <c>Delivery:RetryInterval</c> and <c>Delivery:MaxAttempts</c>) and the check that a
/// never-acked event closed its session at its original deadline after an interruption (a restart, a failover), not a
/// fresh budget after it. The first send happened after its publish started and before its frame arrived at the test: the
/// deadline is bounded from both ends of that window (a cold process can take a few hundred milliseconds for its first frame).
/// </summary>
public sealed class AttemptBudget(TimeSpan retryInterval, int maxAttempts)
{
    /// <summary>
    /// Lateness allowed beyond the one retry interval the rule itself allows: timer and thread pool scheduling on a loaded
    /// two-core machine, the session delete's commit before the close, and the close's trip through the gateway.
    /// </summary>
    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(1);

    public TimeSpan RetryInterval { get; } = retryInterval;

    /// <summary>(MaxAttempts + 1) × RetryInterval: when an event first sent at 0 and never acked closes its session.</summary>
    public TimeSpan Budget { get; } = retryInterval * (maxAttempts + 1);

    /// <summary>The node settings that give this budget.</summary>
    public (string, string)[] Settings { get; } =
    [
        ("Delivery:RetryInterval", retryInterval.ToString("c", CultureInfo.InvariantCulture)),
        ("Delivery:MaxAttempts", maxAttempts.ToString(CultureInfo.InvariantCulture)),
    ];

    /// <summary>
    /// Publishes through <paramref name="publish"/> (which returns the event id) and reads the tab's next frame, reading from
    /// before the publish; returns the window in which the first send happened.
    /// </summary>
    public static async Task<FirstSend> PublishAndReceiveFirstAsync(WsClient tab, Func<Task<string>> publish)
    {
        var frame = tab.NextAsync();
        var publishStarted = Stopwatch.GetTimestamp();
        var eventId = await publish();
        var first = await frame;
        var arrived = Stopwatch.GetTimestamp();
        Assert.Equal(eventId, first.GetProperty("event_id").GetString());
        return new FirstSend(eventId, publishStarted, arrived);
    }

    /// <summary>
    /// The session closed at <paramref name="closedAt"/>: not before the original deadline counted from the publish's start,
    /// at most one retry interval (and the tolerance) after it counted from the first frame's arrival, and sooner than a
    /// budget counted afresh from the resume at <paramref name="resumedAt"/> (all <see cref="Stopwatch"/> timestamps).
    /// </summary>
    public void AssertClosedAtOriginalDeadline(FirstSend first, long closedAt, long resumedAt, string interruption, ITestOutputHelper output)
    {
        var closed = first.SinceArrival(closedAt);
        var resumed = first.SinceArrival(resumedAt);
        output.WriteLine($"closed {closed.TotalMilliseconds:F0} ms after the first frame arrived " +
            $"({first.SincePublishStarted(closedAt).TotalMilliseconds:F0} ms after its publish started); deadline {Budget.TotalMilliseconds:F0} ms " +
            $"(a fresh budget would close at {(resumed + Budget).TotalMilliseconds:F0} ms)");
        Assert.True(first.SincePublishStarted(closedAt) >= Budget, "closed before the original deadline");
        Assert.True(closed <= Budget + RetryInterval + Tolerance, "closed later than one retry interval after the original deadline");
        Assert.True(closed < resumed + Budget - RetryInterval, $"the {interruption} gave the event a fresh budget");
    }
}

/// <summary>An event's first send: its id, and the window (publish started → frame arrived) in which it happened.</summary>
public readonly record struct FirstSend(string EventId, long PublishStarted, long Arrived)
{
    public TimeSpan SinceArrival(long timestamp) => Stopwatch.GetElapsedTime(Arrived, timestamp);

    public TimeSpan SincePublishStarted(long timestamp) => Stopwatch.GetElapsedTime(PublishStarted, timestamp);
}
