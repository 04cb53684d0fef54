using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text;
using OrleansSync.Gateway.Cluster;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Gateway;

/// <summary>
/// The socket on which nodes hand each other copies (<c>/internal/copies</c>), against a real node: the key, bad
/// batches, copies for sessions attached here and elsewhere; and the batch format on its own.
/// </summary>
public sealed class PeerCopyTests
{
    [Fact]
    public async Task A_copy_for_an_attached_session_is_taken_and_sent_one_for_a_session_not_here_is_refused()
    {
        await using var node = await TestNode.StartAsync();
        await using var tab = await node.ConnectAsync();
        var sessionId = (await tab.AuthAsync(TestTokens.For("hana"))).GetProperty("session_id").GetString()!;
        using var peer = await ConnectPeerAsync(node);

        var metrics = node.Service<OrleansSync.Diagnostics.SyncMetrics>();
        int SessionActivations() => metrics.ReadGauges().ActiveGrains.Single(g => g.Key == "session").Value;
        var activationsBefore = SessionActivations();
        await SendBatchAsync(peer, 7, [new(sessionId, "c1", Frame("c1")), new("no-such-session", "c2", Frame("c2")), new(sessionId, "c3", Frame("c3"))]);
        var answer = await ReceiveAsync(peer);
        Assert.Equal(activationsBefore, SessionActivations()); // a peer's copy never activates a grain

        Assert.Equal(7u, BinaryPrimitives.ReadUInt32BigEndian(answer));
        Assert.Equal(new byte[] { 1, 0, 1 }, answer[4..]);
        Assert.Equal("c1", (await tab.NextAsync()).GetProperty("event_id").GetString());
        Assert.Equal("c3", (await tab.NextAsync()).GetProperty("event_id").GetString());
        Assert.Equal(1, await node.QueryScalarAsync("SELECT COUNT(*) FROM session_events WHERE event_id = 'c3'")); // durable before the answer
    }

    [Fact]
    public async Task The_socket_needs_the_api_key()
    {
        await using var node = await TestNode.StartAsync();
        var error = await Assert.ThrowsAsync<WebSocketException>(() => ConnectPeerAsync(node, apiKey: "wrong"));
        Assert.Contains("401", error.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0 })] // no room for the batch id
    [InlineData(new byte[] { 0, 0, 0, 1, 0, 0 })] // an empty session id
    [InlineData(new byte[] { 0, 0, 0, 1, 0, 5, (byte)'a' })] // a session id beyond the batch
    [InlineData(new byte[] { 0, 0, 0, 1, 0, 1, (byte)'s', 0, 1, (byte)'e', 0, 0, 0, 9, (byte)'{' })] // a frame beyond the batch
    public async Task A_malformed_batch_closes_that_socket_with_1007_and_the_node_keeps_serving(byte[] batch)
    {
        await using var node = await TestNode.StartAsync();
        using var peer = await ConnectPeerAsync(node);
        await peer.SendAsync(batch, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        var result = await peer.ReceiveAsync(new byte[64], new CancellationTokenSource(WsClient.DefaultTimeout).Token);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, peer.CloseStatus);
        using var health = await node.Http.GetAsync("/healthz");
        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public void Copies_survive_the_round_trip_through_the_batch_format()
    {
        PeerCopy[] copies = [new("s-é", "e1", Frame("e1")), new("s2", "e-∑", [1, 2, 3])];
        var decoded = PeerCopyCodec.Decode(PeerCopyCodec.Encode(copies));
        Assert.Equal(copies.Select(c => (c.SessionId, c.EventId, Convert.ToBase64String(c.Frame))),
            decoded.Select(c => (c.SessionId, c.EventId, Convert.ToBase64String(c.Frame))));
        Assert.Empty(PeerCopyCodec.Decode([]));
    }

    private static byte[] Frame(string eventId) => Encoding.UTF8.GetBytes($$"""{"type":"added","event_id":"{{eventId}}"}""");

    private static async Task<ClientWebSocket> ConnectPeerAsync(TestNode node, string apiKey = TestTokens.ApiKey)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("X-Api-Key", apiKey);
        try
        {
            await socket.ConnectAsync(new Uri($"ws://{node.BaseAddress.Authority}{PeerCopyEndpoints.Route}"), new CancellationTokenSource(WsClient.DefaultTimeout).Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static Task SendBatchAsync(WebSocket peer, uint batch, PeerCopy[] copies)
    {
        var message = PeerCopyCodec.Encode(copies, headerBytes: 4);
        BinaryPrimitives.WriteUInt32BigEndian(message, batch);
        return peer.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
    }

    private static async Task<byte[]> ReceiveAsync(WebSocket peer)
    {
        var buffer = new byte[1024];
        var result = await peer.ReceiveAsync(buffer, new CancellationTokenSource(WsClient.DefaultTimeout).Token);
        Assert.True(result.EndOfMessage);
        return buffer[..result.Count];
    }
}
