using System.Diagnostics;
using OrleansSync.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansSync.Tests.Cluster;

/// <summary>
/// Several real node processes on one real PostgreSQL: delivery across nodes, rooms across nodes, a node killed
/// with SIGKILL, presence after a death, and the sweeper running once across the cluster.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class ClusterTests(ITestOutputHelper output)
{
    private const string Church = "church-c";

    [Fact]
    public Task An_event_published_on_one_node_reaches_sockets_on_the_others() => PublishOnEachNodeReachesBothAsync(inlineIo: false);

    [Fact]
    public Task With_inline_io_an_event_published_on_one_node_reaches_sockets_on_the_others() => PublishOnEachNodeReachesBothAsync(inlineIo: true);

    private async Task PublishOnEachNodeReachesBothAsync(bool inlineIo)
    {
        (string, string)[] settings = inlineIo
            ? [("Node:InlineIo", "true"), ("Logging:LogLevel:OrleansSync.Silo", "Information")]
            : [];
        await using var cluster = await Cluster.CreateAsync();
        var a = await cluster.StartNodeAsync("node-a", settings);
        var b = await cluster.StartNodeAsync("node-b", settings);
        if (inlineIo)
        {
            // The start-up lines show the runtime took the process-wide part (before any socket or pool worker), and that
            // the executable's runtimeconfig carries the spin limit (every node, not only inline ones). They are written
            // once the host has started, so they may follow /readyz's first 200: waited for.
            foreach (var node in new[] { a, b })
            {
                await Eventually.TrueAsync(() => node.Output.Contains("Inline I/O (Node:InlineIo): socket continuations inline (DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1)")
                                                 && node.Output.Contains("Idle thread-pool workers spin: System.Threading.ThreadPool.UnfairSemaphoreSpinLimit=0."),
                    TimeSpan.FromSeconds(10), $"the start-up lines of {node.NodeId}");
            }
        }
        await using var onA = await a.ConnectAsync();
        await using var onB = await b.ConnectAsync();
        await onA.AuthAsync(TestTokens.For("carol"));
        await onB.AuthAsync(TestTokens.For("carol"));

        var (fromA, sessions) = await a.PublishOkAsync("carol", new { type = "added", id = "p1" });
        Assert.Equal(2, sessions);
        var (fromB, _) = await b.PublishOkAsync("carol", new { type = "added", id = "p2" });
        foreach (var tab in new[] { onA, onB })
        {
            var first = await tab.NextAsync();
            var second = await tab.NextAsync();
            Assert.Equal([fromA, fromB], new[] { first.GetProperty("event_id").GetString()!, second.GetProperty("event_id").GetString()! });
            await tab.AckAsync(fromA);
            await tab.AckAsync(fromB);
        }
        await Eventually.TrueAsync(async () => await cluster.QueryScalarAsync("SELECT COUNT(*) FROM session_events") == 0
            && await cluster.QueryScalarAsync("SELECT COUNT(*) FROM inbox") == 0, because: "every copy acked");
    }

    [Fact]
    public async Task A_cross_node_event_reaches_the_sessions_grain_through_Orleans_long_before_the_next_poll()
    {
        // Polls every 60 s here: only a call to the session's grain (on B, where its socket is) can deliver within seconds.
        var slowPoll = new[] { ("Cluster:HeartbeatInterval", "00:01:00"), ("Cluster:NodeTimeout", "00:05:00") };
        await using var cluster = await Cluster.CreateAsync();
        var a = await cluster.StartNodeAsync("node-a", slowPoll);
        var b = await cluster.StartNodeAsync("node-b", slowPoll);
        await using var onB = await b.ConnectAsync();
        await onB.AuthAsync(TestTokens.For("dora"));

        var started = Stopwatch.StartNew();
        var (eventId, sessions) = await a.PublishOkAsync("dora", new { type = "added", id = "w1" });
        Assert.Equal(1, sessions);
        var frame = await onB.NextAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(eventId, frame.GetProperty("event_id").GetString());
        output.WriteLine($"published on A, received on B after {started.ElapsedMilliseconds} ms");
        await onB.AckAsync(eventId);
        Assert.Equal(0, await cluster.QueryScalarAsync("SELECT COUNT(*) FROM inbox"));
    }

    [Fact]
    public async Task A_later_publish_never_overtakes_an_earlier_copy_waiting_in_the_inbox()
    {
        // Polls every 60 s: the waiting row below reaches B's socket only when the later publish finds it. The row is
        // written behind the nodes' backs (as no node would), so the user's grain keeps no list here and must see the
        // row in its read.
        var slowPoll = new[] { ("Cluster:HeartbeatInterval", "00:01:00"), ("Cluster:NodeTimeout", "00:05:00"), ("Cluster:SessionListLifetime", "0") };
        await using var cluster = await Cluster.CreateAsync();
        var a = await cluster.StartNodeAsync("node-a", slowPoll);
        var b = await cluster.StartNodeAsync("node-b", slowPoll);
        await using var onB = await b.ConnectAsync();
        await onB.AuthAsync(TestTokens.For("gina"));
        var (warmup, _) = await a.PublishOkAsync("gina", new { type = "added", id = "warm" });
        Assert.Equal(warmup, (await onB.NextAsync()).GetProperty("event_id").GetString());
        await onB.AckAsync(warmup);

        // An earlier publish's copy, still waiting in B's inbox (written as a lost wake-up would leave it).
        await cluster.QueryScalarAsync("WITH body AS (INSERT INTO event_bodies (event_id, frame) " +
            "VALUES ('early', convert_to('{\"type\":\"added\",\"id\":\"early\",\"event_id\":\"early\"}', 'UTF8'))) " +
            "INSERT INTO inbox (session_id, event_id) SELECT session_id, 'early' FROM sessions WHERE user_id = 'gina' RETURNING 0");
        var (later, _) = await a.PublishOkAsync("gina", new { type = "added", id = "later" });

        Assert.Equal("early", (await onB.NextAsync()).GetProperty("event_id").GetString());
        Assert.Equal(later, (await onB.NextAsync()).GetProperty("event_id").GetString());
    }

    [Fact]
    public Task Room_chat_and_attendance_span_nodes() => Cluster.RunAsync(output, async cluster =>
    {
        var a = await cluster.StartNodeAsync("node-a", ("Admin:Key", "ops-key"));
        var b = await cluster.StartNodeAsync("node-b");
        var host = new MessagingClient(a, TestTokens.For("host", Church, "host-person", "Host"));
        var conversationId = await host.CreateConversationAsync(allowAnonymousPosts: true);

        await using var anonymousOnA = await a.ConnectAsync();
        await using var memberOnB = await b.ConnectAsync();
        var memberOk = await memberOnB.AuthAsync(TestTokens.For("member", Church, "member-person", "Member"));
        var anonymous = new MessagingClient(a); // every REST call lands on node A
        await anonymous.JoinAsync(Church, conversationId, await anonymousOnA.GetIdAsync(), "Guest");
        await anonymous.JoinAsync(Church, conversationId, memberOk.GetProperty("socket_id").GetString()!, "Member");
        await anonymousOnA.AttendanceAsync(2);
        var attendanceOnB = await memberOnB.AttendanceAsync(2);
        await memberOnB.AckAsync(attendanceOnB.GetProperty("event_id").GetString()!);

        // Node A's dashboard sees the whole cluster: both nodes, and the room with its two viewers (one per node).
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/api/stats"))
        {
            request.Headers.Add("X-Admin-Key", "ops-key");
            using var response = await a.Http.SendAsync(request);
            using var stats = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(["node-a", "node-b"], stats.RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("id").GetString()!).ToArray());
            var room = stats.RootElement.GetProperty("rooms").EnumerateArray().Single();
            Assert.Equal(conversationId, room.GetProperty("conversation_id").GetString());
            Assert.Equal(2, room.GetProperty("viewers").GetInt32());
        }

        await anonymous.PostAsync("/messages/send", new[] { new { churchId = Church, conversationId, displayName = "Guest", content = "hello from A" } });
        Assert.Equal("hello from A", (await anonymousOnA.NextActionAsync("message")).GetProperty("data").GetProperty("content").GetString());
        var reliable = await memberOnB.NextActionAsync("message");
        Assert.Equal("hello from A", reliable.GetProperty("data").GetProperty("content").GetString());
        await memberOnB.AckAsync(reliable.GetProperty("event_id").GetString()!); // the socket on B got it through its session: acked

        // A post through node B reaches the anonymous socket on node A (through A's outbox).
        var member = new MessagingClient(b, TestTokens.For("member", Church, "member-person", "Member"));
        await member.PostAsync("/messages", new[] { new { conversationId, content = "hello from B" } });
        Assert.Equal("hello from B", (await anonymousOnA.NextActionAsync("message")).GetProperty("data").GetProperty("content").GetString());

        await memberOnB.DisposeAsync();
        await anonymousOnA.AttendanceAsync(1);
    });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_killed_node_loses_nothing_its_clients_resume_on_another_node_and_get_every_event(bool inlineIo)
    {
        await using var cluster = await Cluster.CreateAsync();
        (string, string)[] settings = [("Delivery:RetryInterval", "00:01:00"), ("Node:InlineIo", inlineIo ? "true" : "false")];
        var a = await cluster.StartNodeAsync("node-a", settings);
        var b = await cluster.StartNodeAsync("node-b", settings);
        var tab = await a.ConnectAsync();
        var sessionId = (await tab.AuthAsync(TestTokens.For("dora"))).GetProperty("session_id").GetString()!;

        var published = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            published.Add((await b.PublishOkAsync("dora", new { type = "added", id = $"p{i}" })).EventId);
        }
        var seen = new HashSet<string>();
        for (var i = 0; i < 3; i++)
        {
            seen.Add((await tab.NextAsync()).GetProperty("event_id").GetString()!); // received, never acked
        }

        await a.KillAsync();
        await tab.WaitClosedAsync();
        await tab.DisposeAsync();
        for (var i = 5; i < 7; i++)
        {
            published.Add((await b.PublishOkAsync("dora", new { type = "added", id = $"p{i}" })).EventId);
        }

        await using var back = await b.ConnectAsync();
        var ok = await back.AuthAsync(TestTokens.For("dora"), sessionId);
        Assert.Equal(sessionId, ok.GetProperty("session_id").GetString());
        Assert.False(ok.GetProperty("need_full_sync").GetBoolean());
        var replayed = await back.NextEventsAckedAsync(published.Count, TimeSpan.FromSeconds(15));
        // Every published event arrives after the resume, in publish order, each once.
        Assert.Equal(published, replayed);
        Assert.True(await back.NothingWithinAsync(TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task A_dead_nodes_viewers_leave_attendance_within_the_node_timeout()
    {
        await using var cluster = await Cluster.CreateAsync();
        var a = await cluster.StartNodeAsync("node-a");
        var b = await cluster.StartNodeAsync("node-b");
        var conversationId = await new MessagingClient(b, TestTokens.For("host", Church, "host-person", "Host")).CreateConversationAsync(allowAnonymousPosts: true);
        await using var watcher = await b.ConnectAsync();
        await using var doomed = await a.ConnectAsync();
        var rest = new MessagingClient(b);
        await rest.JoinAsync(Church, conversationId, await watcher.GetIdAsync(), "Watcher");
        await rest.JoinAsync(Church, conversationId, await doomed.GetIdAsync(), "Doomed");
        await watcher.AttendanceAsync(2);

        var killed = Stopwatch.StartNew();
        await a.KillAsync();
        var attendance = await watcher.NextActionAsync("attendance", d => d.GetProperty("totalViewers").GetInt32() == 1);
        output.WriteLine($"attendance corrected {killed.ElapsedMilliseconds} ms after kill -9 (node timeout {Cluster.NodeTimeout.TotalMilliseconds} ms)");
        Assert.Equal("Watcher", attendance.GetProperty("data").GetProperty("viewers")[0].GetProperty("displayName").GetString());
        // The dead node's row goes right after its cleanup (which sent the attendance above).
        await Eventually.TrueAsync(async () => await cluster.QueryScalarAsync("SELECT COUNT(*) FROM nodes WHERE node_id = 'node-a'") == 0,
            because: "the survivor forgets the dead node");
    }

    [Fact]
    public async Task Retention_expiry_runs_once_per_session_across_the_cluster()
    {
        await using var cluster = await Cluster.CreateAsync();
        (string, string)[] settings = [("Delivery:RetentionWindow", "00:00:01")];
        var nodes = new[]
        {
            await cluster.StartNodeAsync("node-a", settings),
            await cluster.StartNodeAsync("node-b", settings),
            await cluster.StartNodeAsync("node-c", settings),
        };
        const int sessions = 6;
        for (var i = 0; i < sessions; i++)
        {
            await using var tab = await nodes[i % 3].ConnectAsync();
            await tab.AuthAsync(TestTokens.For($"expiring-{i}"));
            await nodes[(i + 1) % 3].PublishOkAsync($"expiring-{i}", new { type = "added" });
            await tab.NextAsync(); // delivered, not acked; the socket then closes and the retention clock starts
        }

        await Eventually.TrueAsync(async () => await cluster.QueryScalarAsync("SELECT COUNT(*) FROM sessions WHERE need_full_sync") == sessions,
            TimeSpan.FromSeconds(20), "every session expires");
        Assert.Equal(0, await cluster.QueryScalarAsync("SELECT COUNT(*) FROM session_events"));
        Assert.Equal(sessions, await Cluster.SumCounterAsync("orleanssync_sessions_expired_total", nodes));
    }
}
