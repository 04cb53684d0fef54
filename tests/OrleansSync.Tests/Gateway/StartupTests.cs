using System.Net.WebSockets;
using OrleansSync.Silo;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Gateway;

public sealed class StartupTests
{
    [Theory]
    [InlineData(new[] { "--Api:Key=k" }, "Auth:SigningKey")]
    [InlineData(new[] { "--Auth:SigningKey=0123456789abcdef0123456789abcdef" }, "Api:Key")]
    public async Task Outside_development_the_node_refuses_to_start_without_real_keys(string[] keys, string missing)
    {
        var args = new[] { "--environment=Production", "--urls=http://127.0.0.1:0" }.Concat(keys).ToArray();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => SiloApp.BuildAsync(args));
        Assert.Contains(missing, error.Message);
        Assert.StartsWith("Refusing to start", error.Message);
    }

    [Theory]
    [InlineData("Store:CommitDelay", "00:00:05")]
    [InlineData("Store:CommitDelay", "-00:00:01")]
    [InlineData("Store:CommitBatchSize", "0")]
    public async Task A_store_setting_out_of_range_stops_the_start_with_its_name(string key, string value)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestNode.StartAsync((key, value)));
        Assert.Contains(key, error.Message);
    }

    [Theory]
    [InlineData("Delivery:MaxSessionsPerUser", "0", "Delivery:MaxSessionsPerUser")]
    [InlineData("Delivery:SessionLifetime", "00:02:00", "Delivery:RetentionWindow")] // not longer than the 2 minute window
    public async Task A_session_bound_out_of_range_stops_the_start_with_its_name(string key, string value, string alsoNamed)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestNode.StartAsync((key, value)));
        Assert.Contains(key, error.Message);
        Assert.Contains(alsoNamed, error.Message);
    }

    [Fact]
    public async Task Inline_io_on_a_sqlite_node_stops_the_start_with_its_name_and_why()
    {
        // SQLite's calls block: on the socket threads they would stall every socket, so the node refuses.
        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestNode.StartAsync(("Node:InlineIo", "true")));
        Assert.Contains("Node:InlineIo", error.Message);
        Assert.Contains("Store:Provider=Postgres", error.Message);
    }

    [Fact]
    public async Task An_origin_outside_the_allowlist_is_refused_and_one_inside_is_served()
    {
        await using var node = await TestNode.StartAsync(("Gateway:AllowedOrigins:0", "https://app.example"));
        var refused = await Assert.ThrowsAsync<WebSocketException>(() => WsClient.ConnectAsync(node.WebSocketAddress, "https://evil.example"));
        Assert.Contains("403", refused.Message);
        await using var allowed = await WsClient.ConnectAsync(node.WebSocketAddress, "https://app.example");
        await allowed.AuthAsync(TestTokens.For("origin-user"));
    }

    [Fact]
    public async Task Any_origin_is_accepted_by_default()
    {
        await using var node = await TestNode.StartAsync();
        await using var client = await WsClient.ConnectAsync(node.WebSocketAddress, "https://anywhere.example");
        await client.AuthAsync(TestTokens.For("anywhere"));
    }
}
