using System.Text.Json;
using OrleansSync.Protocol;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Gateway;

/// <summary>
/// Every route that reads a body holds its limit however the body is framed: a chunked body is refused (413, the
/// documented error body) as soon as it passes the limit, before its end was even sent, so the node never holds more
/// than the limit of any request; a Content-Length over the limit is refused before anything is read. Over raw
/// connections, since HttpClient picks the framing itself. One real node serves the whole class: refused requests change
/// nothing a later one could see.
/// </summary>
public sealed class RequestBodyLimitTests(RequestBodyLimitTests.Node node) : IClassFixture<RequestBodyLimitTests.Node>
{
    public sealed class Node : IAsyncLifetime
    {
        public TestNode Instance { get; private set; } = null!;
        public async Task InitializeAsync() => Instance = await TestNode.StartAsync(("Admin:Key", "ops-key"), ("Demos:Enabled", "true"));
        public async Task DisposeAsync() => await Instance.DisposeAsync();
    }

    private TestNode Server => node.Instance;

    private static readonly string Json = "Content-Type: application/json\r\n";
    private static readonly string ApiKey = $"X-Api-Key: {TestTokens.ApiKey}\r\n";
    private static string Bearer => $"Authorization: Bearer {TestTokens.For("alice", churchId: "c1")}\r\n";

    /// <summary>Route, headers, how the body starts (the rest is filler the parser keeps reading), the route's limit.</summary>
    public static TheoryData<string, string, string, long> Routes => new()
    {
        { "/messaging/connections", Json, "[", 256 * 1024 },
        { "/messaging/messages/send", Json, "[", 256 * 1024 },
        { "/messaging/messages", Json + Bearer, "[", 256 * 1024 },
        { "/api/users/alice/events", Json + ApiKey, "{", EventFrame.MaxEventBytes },
        { "/api/notifications", Json + ApiKey, "{", 256 * 1024 },
        { "/dashboard/login", "Content-Type: application/x-www-form-urlencoded\r\n", "key=", 4 * 1024 },
        { "/demo/api/photos", Json + Bearer, "{", 16 * 1024 },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_chunked_body_over_the_limit_is_refused_before_it_ends(string path, string headers, string start, long limit)
    {
        await using var connection = await RawHttpConnection.OpenAsync(Server.BaseAddress);
        await connection.SendAsync($"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n{headers}\r\n" +
            $"{start.Length:X}\r\n{start}\r\n");
        // A little more than the limit, and the body never ends: a route that read bodies whole would wait for the rest.
        const int chunk = 16 * 1024;
        var sent = await connection.SendChunksAsync((int)(limit / chunk) + 4, chunk, (byte)(path == "/dashboard/login" ? 'a' : ' '));
        Assert.True(start.Length + sent > limit, $"the node answered after {start.Length + sent} bytes, within the limit of {limit}");

        var (head, body) = await connection.ReadResponseAsync();
        Assert.StartsWith("HTTP/1.1 413", head);
        var error = JsonDocument.Parse(body).RootElement;
        Assert.Equal("too_large", error.GetProperty("error").GetString());
        Assert.Equal($"the body is larger than {limit} bytes", error.GetProperty("message").GetString());
        Assert.True(await connection.ClosedByServerWithinAsync(TimeSpan.FromSeconds(10)), "the node stops reading: it closes the connection");
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_content_length_over_the_limit_is_refused_before_the_body_is_read(string path, string headers, string start, long limit)
    {
        await using var connection = await RawHttpConnection.OpenAsync(Server.BaseAddress);
        await connection.SendAsync($"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {100 * 1024 * 1024}\r\n{headers}\r\n{start}");

        var (head, body) = await connection.ReadResponseAsync();
        Assert.StartsWith("HTTP/1.1 413", head);
        var error = JsonDocument.Parse(body).RootElement;
        Assert.Equal("too_large", error.GetProperty("error").GetString());
        Assert.Equal($"the body is larger than {limit} bytes", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_chunked_body_within_the_limit_is_served()
    {
        await using var tab = await Server.ConnectAsync();
        await tab.AuthAsync(TestTokens.For("alice"));
        await using var connection = await RawHttpConnection.OpenAsync(Server.BaseAddress);
        var body = "{\"type\":\"chunked\"," + new string(' ', 40_000) + "\"id\":\"c1\"}";
        var chunks = string.Concat(body.Chunk(10_000).Select(part => $"{part.Length:X}\r\n{new string(part)}\r\n"));
        await connection.SendAsync($"POST /api/users/alice/events HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n{Json}{ApiKey}\r\n" +
            chunks + "0\r\n\r\n");

        var (head, _) = await connection.ReadResponseAsync();
        Assert.StartsWith("HTTP/1.1 202", head);
        Assert.Equal("c1", (await tab.NextMatchingAsync(frame => frame.GetProperty("type").GetString() == "chunked")).GetProperty("id").GetString());
    }
}
