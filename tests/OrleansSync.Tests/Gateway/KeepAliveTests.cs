using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Gateway;

/// <summary>Dead peers are noticed by WebSocket pings, not by waiting for the retry limit.</summary>
public sealed class KeepAliveTests
{
    [Fact]
    public async Task A_peer_that_stops_answering_pings_is_dropped_and_its_session_released()
    {
        await using var node = await TestNode.StartAsync(("Gateway:KeepAliveInterval", "00:00:00.250"), ("Gateway:KeepAliveTimeout", "00:00:01"));
        // A raw client that reads auth_ok and then never reads again: it answers no ping, like a frozen tab. Until
        // auth_ok it is reading (so it answers pings): the receive is pending before the auth goes out, and the frame is
        // built before connecting, so a slow moment on a busy machine cannot count as a missed pong.
        var auth = System.Text.Encoding.UTF8.GetBytes($"{{\"type\":\"auth\",\"token\":\"{TestTokens.For("frozen")}\"}}");
        using var frozen = new System.Net.WebSockets.ClientWebSocket();
        frozen.Options.KeepAliveInterval = TimeSpan.Zero;
        await frozen.ConnectAsync(node.WebSocketAddress, CancellationToken.None);
        var buffer = new byte[4096];
        var receiving = frozen.ReceiveAsync(buffer, CancellationToken.None);
        await frozen.SendAsync(auth, System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None);
        var received = await receiving;
        using var authOk = System.Text.Json.JsonDocument.Parse(buffer.AsMemory(0, received.Count));
        var sessionId = authOk.RootElement.GetProperty("session_id").GetString()!;
        Assert.Equal(1, await node.QueryScalarAsync("SELECT COUNT(*) FROM sessions WHERE session_id = @id AND owner_node IS NOT NULL", ("id", sessionId)));

        await Eventually.TrueAsync(async () =>
            await node.QueryScalarAsync("SELECT COUNT(*) FROM sessions WHERE session_id = @id AND owner_node IS NULL AND retention_deadline IS NOT NULL", ("id", sessionId)) == 1,
            because: "the server drops the silent peer and starts the session's retention clock");
    }
}
