using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using OrleansSync.Protocol;
using OrleansSync.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansSync.Tests.Cluster;

/// <summary>
/// The attempt budget across a silo's death (issue 16): a tab on a separate gateway never acks an event while the silo
/// holding its session's grain is killed with SIGKILL. The socket outlives the grain, is told to resume, resumes, and the
/// event closes the session once, with <c>max_attempts</c>, at its original deadline: not a fresh budget after the
/// failover, and not never (a grain that died with its silo re-sends nothing). Real processes, real PostgreSQL.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class AttemptBudgetFailoverTests(ITestOutputHelper output)
{
    /// <summary>500 ms × 31: long enough that the kill, the death's detection and the resume end well inside it.</summary>
    private static readonly AttemptBudget Attempts = new(TimeSpan.FromMilliseconds(500), maxAttempts: 30);

    private static readonly (string, string)[] Delivery = Attempts.Settings;

    [Fact]
    public Task A_never_acked_event_closes_its_session_once_at_its_original_deadline_after_the_silo_holding_it_is_killed() => Cluster.RunAsync(output, RunAsync);

    private async Task RunAsync(Cluster cluster)
    {
        var token = TestTokens.For("noor");
        var (a, gateway, b, tab, sessionId) = await cluster.StartTabOnSiloAAsync("noor", [.. Delivery, .. Cluster.FastSiloDeathDetection], Delivery);

        var first = await AttemptBudget.PublishAndReceiveFirstAsync(
            tab, async () => (await b.PublishOkAsync("noor", new { type = "added", id = "n0" })).EventId);
        var eventId = first.EventId;
        Assert.Equal(eventId, EventId(await tab.NextAsync())); // re-sent, never acked
        Assert.Equal(eventId, EventId(await tab.NextAsync()));

        await a.KillAsync();
        output.WriteLine($"killed {first.SinceArrival(Stopwatch.GetTimestamp()).TotalMilliseconds:F0} ms after the first frame arrived");
        // Nothing is published any more: the gateway must find out by itself that the socket's grain is gone.
        var (code, reason) = await tab.WaitClosedAsync(Attempts.Budget);
        Assert.Equal(CloseCodes.ServerStopping, code);
        Assert.Equal(CloseReasons.SessionMoved, reason);
        await tab.DisposeAsync();

        await using var back = await gateway.ConnectAsync();
        var ok = await back.AuthAsync(token, sessionId);
        var resumedAt = Stopwatch.GetTimestamp();
        var resumed = first.SinceArrival(resumedAt);
        output.WriteLine($"resumed {resumed.TotalMilliseconds:F0} ms after the first frame arrived");
        Assert.Equal(sessionId, ok.GetProperty("session_id").GetString());
        Assert.False(ok.GetProperty("need_full_sync").GetBoolean());

        (code, reason) = await back.WaitClosedAsync(Attempts.Budget + TimeSpan.FromSeconds(30));
        var closedAt = Stopwatch.GetTimestamp();
        Assert.Equal(CloseCodes.MaxAttempts, code);
        Assert.Equal(CloseReasons.MaxAttempts, reason);
        Attempts.AssertClosedAtOriginalDeadline(first, closedAt, resumedAt, "failover", output);

        // The resumed socket got the replay and the re-sends left of the original budget, all of the one event.
        var sends = await DrainAsync(back);
        output.WriteLine($"{sends.Count} sends to the resumed socket");
        Assert.All(sends, id => Assert.Equal(eventId, id));
        Assert.InRange(sends.Count, 2, (int)((Attempts.Budget - resumed) / Attempts.RetryInterval) + 2);

        // Closed once in the whole cluster (silo-a died before the deadline: its close would have come first), and deleted:
        // the next auth with the session's id gets a new session that needs a full sync, and the old event never follows.
        Assert.Equal(1, await Cluster.SumCounterAsync("orleanssync_sessions_max_attempts_total", b, gateway));
        Assert.Equal(0, await cluster.QueryScalarAsync("SELECT COUNT(*) FROM sessions WHERE session_id = @id", ("id", sessionId)));
        Assert.Equal(0, await cluster.QueryScalarAsync("SELECT COUNT(*) FROM session_events WHERE session_id = @id", ("id", sessionId)));
        await using var fresh = await gateway.ConnectAsync();
        var restarted = await fresh.AuthAsync(token, sessionId);
        Assert.NotEqual(sessionId, restarted.GetProperty("session_id").GetString());
        Assert.True(restarted.GetProperty("need_full_sync").GetBoolean());
        Assert.True(await fresh.NothingWithinAsync(Attempts.RetryInterval * 3));
    }

    /// <summary>
    /// The event ids of the frames a closed socket received and the test has not read yet (its frames are complete once
    /// it reports the close, so this waits for nothing).
    /// </summary>
    private static async Task<List<string>> DrainAsync(WsClient closedClient)
    {
        var ids = new List<string>();
        while (!await closedClient.NothingWithinAsync(TimeSpan.FromSeconds(1)))
        {
            ids.Add(EventId(await closedClient.NextAsync()));
        }
        return ids;
    }

    private static string EventId(JsonElement frame) => frame.GetProperty("event_id").GetString()!;
}
