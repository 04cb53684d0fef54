using System.Diagnostics;
using System.Text.Json;
using OrleansSync.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansSync.Tests.Gateway;

/// <summary>
/// The attempt budget survives a crash (issue 15): a real node process on a SQLite file is killed with SIGKILL while its
/// tab's events are queued and part of their budget is spent, then started again on the same file. The resumed tab gets
/// every queued event, and the never-acked events close it at their original deadline, not a full budget after the restart.
/// </summary>
[Collection(nameof(Cluster.ClusterTests))] // node processes: timing-sensitive, so not beside the cluster tests' processes
public sealed class AttemptBudgetRestartTests(ITestOutputHelper output)
{
    /// <summary>300 ms × 41: long enough that the restart (a few seconds) ends well inside it.</summary>
    private static readonly AttemptBudget Attempts = new(TimeSpan.FromMilliseconds(300), maxAttempts: 40);

    [Fact]
    public async Task After_kill_9_and_a_restart_on_the_same_file_every_event_is_replayed_and_the_session_closes_at_its_original_deadline()
    {
        using var file = new SqliteTestFile();
        (string, string)[] settings =
        [
            ("Store:Provider", "Sqlite"), ("Store:ConnectionString", file.ConnectionString), .. Attempts.Settings,
        ];
        var token = TestTokens.For("erin");
        string sessionId;
        var published = new List<string>();
        FirstSend first;
        await using (var node = await ProcessNode.StartAsync("budget-node", settings))
        {
            await using var tab = await node.ConnectAsync();
            sessionId = (await tab.AuthAsync(token)).GetProperty("session_id").GetString()!;
            first = await AttemptBudget.PublishAndReceiveFirstAsync(
                tab, async () => (await node.PublishOkAsync("erin", new { type = "added", id = "p0" })).EventId);
            published.Add(first.EventId);
            for (var i = 1; i < 3; i++)
            {
                published.Add((await node.PublishOkAsync("erin", new { type = "added", id = $"p{i}" })).EventId);
            }
            // Never acked: wait until the first event was re-sent twice, then kill the process.
            var sendsOfFirst = 1;
            while (sendsOfFirst < 3)
            {
                if (EventId(await tab.NextAsync()) == published[0])
                {
                    sendsOfFirst++;
                }
            }
            await node.KillAsync();
            output.WriteLine($"killed {first.SinceArrival(Stopwatch.GetTimestamp()).TotalMilliseconds:F0} ms after the first frame arrived");
        }

        await using var restarted = await ProcessNode.StartAsync("budget-node", settings);
        await using var back = await restarted.ConnectAsync();
        var ok = await back.AuthAsync(token, sessionId);
        var resumedAt = Stopwatch.GetTimestamp();
        output.WriteLine($"resumed {first.SinceArrival(resumedAt).TotalMilliseconds:F0} ms after the first frame arrived (restart included)");
        Assert.Equal(sessionId, ok.GetProperty("session_id").GetString());
        Assert.False(ok.GetProperty("need_full_sync").GetBoolean());
        var replayed = new List<string>();
        for (var i = 0; i < published.Count; i++)
        {
            replayed.Add(EventId(await back.NextAsync()));
        }
        Assert.Equal(published, replayed); // every queued event, in publish order

        var (code, reason) = await back.WaitClosedAsync(Attempts.Budget + TimeSpan.FromSeconds(30));
        var closedAt = Stopwatch.GetTimestamp();
        Assert.Equal(4003, (int)code!);
        Assert.Equal("max_attempts", reason);
        Attempts.AssertClosedAtOriginalDeadline(first, closedAt, resumedAt, "restart", output);
    }

    private static string EventId(JsonElement frame) => frame.GetProperty("event_id").GetString()!;
}
