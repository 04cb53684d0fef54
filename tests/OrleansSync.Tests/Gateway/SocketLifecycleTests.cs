using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OrleansSync.Diagnostics;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Gateway;

/// <summary>What sockets leave behind in the silo: activations after they close, queues after a slow reader is cut off.</summary>
public sealed class SocketLifecycleTests
{
    [Fact]
    public async Task Ten_thousand_connect_auth_close_cycles_leave_no_activations_behind()
    {
        await using var node = await TestNode.StartAsync();
        var management = node.Service<IGrainFactory>().GetGrain<IManagementGrain>(0);
        var metrics = node.Service<SyncMetrics>();
        int Sessions() => metrics.ReadGauges().ActiveGrains.Single(g => g.Key == GrainKinds.Session).Value;
        await CycleAsync(node, 0, 1); // the first socket creates what every node has (the gateway's observer, system grains)
        await Eventually.TrueAsync(() => Sessions() == 0, because: "the first socket's session grain deactivates");
        var baseline = await management.GetTotalActivationCount();

        const int cycles = 10_000, parallel = 8;
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(worker => CycleAsync(node, worker, cycles / parallel)));

        // Every session grain went with its socket (a detached session is only rows), and nothing else piled up.
        await Eventually.TrueAsync(() => Sessions() == 0, TimeSpan.FromSeconds(30),
            because: $"session grains deactivate after their socket closes ({Sessions()} left, {node.Service<OrleansSync.Delivery.AttachedSessions>().Count} attached)");
        await Eventually.TrueAsync(async () => await management.GetTotalActivationCount() <= baseline, TimeSpan.FromSeconds(30),
            because: $"activations back to {baseline}");
        Assert.Equal(0, node.Service<OrleansSync.Delivery.AttachedSessions>().Count);
        Assert.Equal(cycles + 1, await node.QueryScalarAsync("SELECT COUNT(*) FROM sessions WHERE owner_node IS NULL"));
    }

    [Fact]
    public async Task A_tab_that_stops_reading_is_closed_as_a_slow_consumer_and_its_session_keeps_the_queue()
    {
        await using var node = await TestNode.StartAsync(("Gateway:OutboundBufferFrames", "4"));
        // A raw socket that reads auth_ok and then nothing more: the kernel's buffers fill, then the gateway's four frames.
        using var stalled = new ClientWebSocket();
        var sessionId = await AuthThenStallAsync(node, stalled, "sam");

        var padding = new string('x', 60_000);
        var published = new List<string>();
        while ((await node.ScrapeAsync()).ValueOrZero("orleanssync_frames_rejected_total", ("reason", "slow_consumer")) == 0)
        {
            Assert.True(published.Count < 900, "the stalled socket was never closed");
            published.Add((await node.PublishOkAsync("sam", new { type = "added", pad = padding })).EventId);
        }
        // The close (bounded: the peer does not answer it) detaches the session, with its retention clock running.
        await Eventually.TrueAsync(async () =>
            await node.QueryScalarAsync("SELECT COUNT(*) FROM sessions WHERE owner_node IS NULL AND session_id = @id", ("id", sessionId)) == 1,
            TimeSpan.FromSeconds(20), because: "the closed socket's session is detached");

        // Every event is still queued for a resume.
        Assert.Equal(published.Count, await node.QueryScalarAsync("SELECT COUNT(*) FROM session_events WHERE session_id = @id", ("id", sessionId)));
        Assert.Equal(1, await node.QueryScalarAsync("SELECT COUNT(*) FROM sessions WHERE session_id = @id AND retention_deadline IS NOT NULL AND need_full_sync = 0",
            ("id", sessionId)));
        Assert.Equal(1, (await node.ScrapeAsync()).ValueOrZero("orleanssync_frames_rejected_total", ("reason", "slow_consumer")));
        await using var back = await node.ConnectAsync();
        var resumed = await back.AuthAsync(TestTokens.For("sam"), sessionId);
        Assert.False(resumed.GetProperty("need_full_sync").GetBoolean());
        Assert.Equal(published[0], (await back.NextAsync()).GetProperty("event_id").GetString());
    }

    [Fact]
    public async Task A_node_that_stops_releases_its_sockets_sessions_with_their_queues_before_its_silo_goes()
    {
        await using var node = await TestNode.StartAsync();
        // A tab that reads nothing after auth_ok: it never answers the server's close, so its socket ends only when
        // the close handshake times out, after the host has moved on to stopping the silo.
        using var stalled = new ClientWebSocket();
        var sessionId = await AuthThenStallAsync(node, stalled, "stella");
        var (eventId, _) = await node.PublishOkAsync("stella", new { type = "added", id = "s1" }); // never acked

        await node.StopAsync();

        // Released while the silo still ran: detached with the retention clock started, the event still queued.
        Assert.Equal(1, await node.QueryScalarAsync(
            "SELECT COUNT(*) FROM sessions WHERE session_id = @id AND owner_node IS NULL AND retention_deadline IS NOT NULL", ("id", sessionId)));
        Assert.Equal(1, await node.QueryScalarAsync("SELECT COUNT(*) FROM session_events WHERE session_id = @id", ("id", sessionId)));
        await node.StartAgainAsync();
        await using var back = await node.ConnectAsync();
        Assert.False((await back.AuthAsync(TestTokens.For("stella"), sessionId)).GetProperty("need_full_sync").GetBoolean());
        Assert.Equal(eventId, (await back.NextAsync()).GetProperty("event_id").GetString());
    }

    /// <summary>Authenticates on a raw socket, reads <c>auth_ok</c>, and returns the session id; nothing is read afterwards.</summary>
    private static async Task<string> AuthThenStallAsync(TestNode node, ClientWebSocket socket, string user)
    {
        await socket.ConnectAsync(node.WebSocketAddress, CancellationToken.None);
        await socket.SendAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { type = "auth", token = TestTokens.For(user) })),
            WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[4096];
        var read = await socket.ReceiveAsync(buffer, CancellationToken.None);
        return JsonDocument.Parse(buffer.AsMemory(0, read.Count)).RootElement.GetProperty("session_id").GetString()!;
    }

    private static async Task CycleAsync(TestNode node, int worker, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await using var tab = await node.ConnectAsync();
            await tab.AuthAsync(TestTokens.For($"churn-{worker}-{i % 50}"));
        }
    }
}
