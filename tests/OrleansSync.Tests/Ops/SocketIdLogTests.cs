using System.Text.Json;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Ops;

/// <summary>
/// Logs reach the dashboard's recent log rows (open to anyone on a Development node), and a whole socket id lets
/// its reader rename the socket or take it out of its rooms: logs carry only a short tag of it.
/// </summary>
public sealed class SocketIdLogTests
{
    [Fact]
    public async Task The_dashboards_log_rows_tag_a_live_socket_without_its_whole_id()
    {
        await using var node = await TestNode.StartAsync(("Logging:LogLevel:Default", "Information"), ("Admin:Key", "ops-key"));
        await using var socket = await node.ConnectAsync();
        var socketId = await socket.GetIdAsync();
        await socket.SendTextAsync("{not json");
        Assert.Equal("bad_json", (await socket.NextMatchingAsync(f => f.TryGetProperty("type", out var t) && t.GetString() == "error"))
            .GetProperty("code").GetString()); // the socket stays open, and the rejection is logged

        string[] messages = [];
        await Eventually.TrueAsync(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/api/stats");
            request.Headers.Add("X-Admin-Key", "ops-key");
            using var response = await node.Http.SendAsync(request);
            using var stats = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            messages = stats.RootElement.GetProperty("recent_errors").EnumerateArray().Select(r => r.GetProperty("message").GetString()!).ToArray();
            return messages.Any(m => m.Contains("frame rejected"));
        }, because: "the rejected frame is logged");
        Assert.Contains(messages, m => m.Contains(socketId[..8]));
        Assert.DoesNotContain(messages, m => m.Contains(socketId));
    }
}
