using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Gateway;

/// <summary>
/// The connection-level <c>/ws</c> upgrade, on the wire: its handshake, what it leaves to ASP.NET, and clients
/// that misbehave before any request. Every other socket test goes through it too.
/// </summary>
public sealed class DirectUpgradeTests
{
    [Fact]
    public async Task A_head_sent_in_pieces_gets_the_RFC_accept_value_and_a_working_socket()
    {
        await using var node = await TestNode.StartAsync();
        await using var raw = await RawHttpConnection.OpenAsync(node.BaseAddress);
        var head = RawHttpConnection.UpgradeHead();
        await raw.SendAsync(head[..10]);
        await raw.SendAsync(head[10..60]);
        await raw.SendAsync(head[60..]);
        var (response, _) = await raw.ReadResponseAsync();
        Assert.StartsWith("HTTP/1.1 101", response);
        Assert.Contains($"Sec-WebSocket-Accept: {RawHttpConnection.SampleAccept}\r\n", response);
        Assert.False(RawHttpConnection.AnsweredByAspNet(response), "the direct path answers a fresh connection's upgrade");

        await AssertSocketAnswersGetIdAsync(raw.AsWebSocket());
    }

    [Fact]
    public async Task Other_requests_and_an_upgrade_on_a_reused_connection_are_served_by_ASP_NET()
    {
        await using var node = await TestNode.StartAsync();
        await using var raw = await RawHttpConnection.OpenAsync(node.BaseAddress);
        await raw.SendAsync("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        var (healthHead, healthBody) = await raw.ReadResponseAsync();
        Assert.StartsWith("HTTP/1.1 200", healthHead);
        Assert.Equal("ok", healthBody);

        // The same keep-alive connection now upgrades: the /ws endpoint (not the direct path) takes it.
        await raw.SendAsync(RawHttpConnection.UpgradeHead());
        var (upgraded, _) = await raw.ReadResponseAsync();
        Assert.StartsWith("HTTP/1.1 101", upgraded);
        Assert.Contains(RawHttpConnection.SampleAccept, upgraded);
        Assert.True(RawHttpConnection.AnsweredByAspNet(upgraded));
        await AssertSocketAnswersGetIdAsync(raw.AsWebSocket());
    }

    [Fact]
    public async Task An_upgrade_the_direct_path_does_not_understand_still_gets_an_HTTP_answer()
    {
        await using var node = await TestNode.StartAsync();
        await using var raw = await RawHttpConnection.OpenAsync(node.BaseAddress);
        await raw.SendAsync(RawHttpConnection.UpgradeHead(version: "8"));
        var (response, _) = await raw.ReadResponseAsync();
        Assert.DoesNotContain("101", response.Split("\r\n")[0]);
        Assert.Matches("^HTTP/1.1 4\\d\\d", response);
    }

    [Theory]
    [InlineData("Origin : https://evil.example\r\n")] // whitespace before the colon
    [InlineData("Bad Name: x\r\n")] // not a token
    public async Task A_head_Kestrel_would_reject_is_left_to_Kestrel(string oddHeader)
    {
        await using var node = await TestNode.StartAsync(("Gateway:AllowedOrigins:0", "https://app.example"));
        await using var raw = await RawHttpConnection.OpenAsync(node.BaseAddress);
        var head = RawHttpConnection.UpgradeHead();
        await raw.SendAsync(head[..^2] + oddHeader + "\r\n");
        var (response, _) = await raw.ReadResponseAsync();
        Assert.StartsWith("HTTP/1.1 400", response);
    }

    [Fact]
    public async Task An_upgrade_without_Host_is_left_to_Kestrel()
    {
        await using var node = await TestNode.StartAsync();
        await using var raw = await RawHttpConnection.OpenAsync(node.BaseAddress);
        await raw.SendAsync(RawHttpConnection.UpgradeHead().Replace("Host: 127.0.0.1\r\n", ""));
        var (response, _) = await raw.ReadResponseAsync();
        Assert.StartsWith("HTTP/1.1 400", response);
    }

    [Fact]
    public async Task Infinite_Kestrel_timeouts_are_accepted()
    {
        // Kestrel stores "infinite" as TimeSpan.MaxValue, which no timer takes: the node must still serve.
        await using var node = await TestNode.StartAsync(("Kestrel:Limits:KeepAliveTimeout", "-00:00:00.001"),
            ("Kestrel:Limits:RequestHeadersTimeout", "-00:00:00.001"));
        Assert.Equal("ok", await node.Http.GetStringAsync("/healthz"));
        await using var tab = await node.ConnectAsync();
        await tab.AuthAsync(TestTokens.For("no-timeouts"));
    }

    [Fact]
    public async Task A_client_that_sends_no_whole_request_head_is_closed_after_Kestrels_timeouts()
    {
        await using var node = await TestNode.StartAsync(("Kestrel:Limits:KeepAliveTimeout", "00:00:01"), ("Kestrel:Limits:RequestHeadersTimeout", "00:00:01"));
        await using var silent = await RawHttpConnection.OpenAsync(node.BaseAddress);
        Assert.True(await silent.ClosedByServerWithinAsync(TimeSpan.FromSeconds(15)), "a silent connection is not held forever");

        await using var trickle = await RawHttpConnection.OpenAsync(node.BaseAddress);
        await trickle.SendAsync(RawHttpConnection.UpgradeHead()[..30]);
        Assert.True(await trickle.ClosedByServerWithinAsync(TimeSpan.FromSeconds(15)), "half a head is not waited for forever");
    }

    [Fact]
    public async Task With_an_AllowedHosts_list_an_upgrade_for_another_host_is_refused_by_host_filtering()
    {
        await using var node = await TestNode.StartAsync(("AllowedHosts", "app.example"));
        await using var raw = await RawHttpConnection.OpenAsync(node.BaseAddress);
        await raw.SendAsync(RawHttpConnection.UpgradeHead()); // Host: 127.0.0.1
        var (response, _) = await raw.ReadResponseAsync();
        Assert.StartsWith("HTTP/1.1 400", response);

        await using var allowed = await RawHttpConnection.OpenAsync(node.BaseAddress);
        await allowed.SendAsync(RawHttpConnection.UpgradeHead().Replace("Host: 127.0.0.1", "Host: app.example"));
        var (upgraded, _) = await allowed.ReadResponseAsync();
        Assert.StartsWith("HTTP/1.1 101", upgraded);
        Assert.True(RawHttpConnection.AnsweredByAspNet(upgraded), "host filtering saw it");
        await AssertSocketAnswersGetIdAsync(allowed.AsWebSocket());
    }

    [Fact]
    public async Task Sessions_work_through_the_ASP_NET_endpoint_when_the_direct_upgrade_is_off()
    {
        await using var node = await TestNode.StartAsync(("Gateway:DirectUpgrade", "false"));
        await using (var raw = await RawHttpConnection.OpenAsync(node.BaseAddress))
        {
            await raw.SendAsync(RawHttpConnection.UpgradeHead());
            var (response, _) = await raw.ReadResponseAsync();
            Assert.StartsWith("HTTP/1.1 101", response);
            Assert.True(RawHttpConnection.AnsweredByAspNet(response), "the setting sends upgrades to the endpoint");
        }
        await using var tab = await node.ConnectAsync();
        await tab.AuthAsync(TestTokens.For("endpoint-user"));
        var (eventId, sessions) = await node.PublishOkAsync("endpoint-user", new { type = "added", id = "e1" });
        Assert.Equal(1, sessions);
        var frame = await tab.NextAsync();
        Assert.Equal(eventId, frame.GetProperty("event_id").GetString());
        await tab.AckAsync(eventId);
    }

    private static async Task AssertSocketAnswersGetIdAsync(WebSocket socket)
    {
        using var cts = new CancellationTokenSource(WsClient.DefaultTimeout);
        await socket.SendAsync("getId"u8.ToArray(), WebSocketMessageType.Text, true, cts.Token);
        var buffer = new byte[1024];
        var received = await socket.ReceiveAsync(buffer, cts.Token);
        using var reply = JsonDocument.Parse(Encoding.UTF8.GetString(buffer, 0, received.Count));
        Assert.Equal("socketId", reply.RootElement.GetProperty("action").GetString());
        Assert.False(string.IsNullOrEmpty(reply.RootElement.GetProperty("data").GetString()));
        socket.Abort();
    }
}
