using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Gateway;

/// <summary>
/// PROTOCOL §5: bad input gets a clear error, closes only the offending socket, and costs nobody else anything.
/// Run on each store by the classes at the end.
/// </summary>
public abstract class BadInputTests : IAsyncLifetime
{
    protected abstract StoreKind Store { get; }

    private TestNode _node = null!;
    private WsClient _bystander = null!;

    public async Task InitializeAsync()
    {
        _node = await TestNode.StartAsync(Store, ("Gateway:MaxFrameBytes", "1024"), ("Gateway:MaxFramesPerSecond", "20"));
        _bystander = await _node.ConnectAsync();
        await _bystander.AuthAsync(TestTokens.For("bystander"));
    }

    public async Task DisposeAsync()
    {
        // Whatever the test did, the bystander still gets its events, in order.
        var (eventId, _) = await _node.PublishOkAsync("bystander", new { type = "still-here" });
        var frame = await _bystander.NextAsync();
        Assert.Equal(eventId, frame.GetProperty("event_id").GetString());
        await _bystander.DisposeAsync();
        await _node.DisposeAsync();
    }

    [Theory]
    [InlineData("{not json", "bad_json")]
    [InlineData("[1,2]", "bad_json")]
    [InlineData("{\"type\":\"auth\"} trailing", "bad_json")]
    [InlineData("{\"type\":\"dance\"}", "unknown_type")]
    [InlineData("{\"no_type\":1}", "missing_field")]
    [InlineData("{\"type\":\"ack\",\"event_id\":\"x\"}", "not_authenticated")]
    [InlineData("{\"type\":\"\\ud800\"}", "bad_json")] // a lone surrogate: valid JSON syntax, no valid string
    [InlineData("{\"type\":\"auth\",\"token\":\"a\\udc00b\"}", "bad_json")]
    public async Task A_bad_frame_gets_an_error_frame_and_the_socket_stays_usable(string text, string code)
    {
        await using var client = await _node.ConnectAsync();
        await client.SendTextAsync(text);
        var error = await client.NextAsync();
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        var ok = await client.AuthAsync(TestTokens.For("recovering"));
        Assert.True(ok.GetProperty("need_full_sync").GetBoolean());
    }

    [Fact]
    public async Task An_ack_without_event_id_is_an_error_after_auth()
    {
        await using var client = await _node.ConnectAsync();
        await client.AuthAsync(TestTokens.For("acker"));
        await client.SendTextAsync("{\"type\":\"ack\"}");
        Assert.Equal("missing_field", (await client.NextAsync()).GetProperty("code").GetString());
        await client.SendTextAsync($"{{\"type\":\"auth\",\"token\":\"{TestTokens.For("acker")}\"}}");
        Assert.Equal("already_authenticated", (await client.NextAsync()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task An_oversized_frame_closes_the_socket_with_1009()
    {
        await using var client = await _node.ConnectAsync();
        await client.SendTextAsync("{\"type\":\"ping\",\"pad\":\"" + new string('x', 2000) + "\"}");
        var (code, reason) = await client.WaitClosedAsync();
        Assert.Equal(1009, (int)code!);
        Assert.Contains("1024", reason);
    }

    [Fact]
    public async Task A_binary_frame_closes_the_socket_with_1003()
    {
        await using var client = await _node.ConnectAsync();
        await client.SendBinaryAsync([1, 2, 3]);
        var (code, _) = await client.WaitClosedAsync();
        Assert.Equal(1003, (int)code!);
    }

    [Fact]
    public async Task A_flood_closes_the_socket_with_1008()
    {
        await using var client = await _node.ConnectAsync();
        for (var i = 0; i < 200 && client.State == System.Net.WebSockets.WebSocketState.Open; i++)
        {
            try
            {
                await client.SendTextAsync("{\"type\":\"ping\"}");
            }
            catch (System.Net.WebSockets.WebSocketException)
            {
                break; // the server already closed it
            }
        }
        var (code, reason) = await client.WaitClosedAsync();
        Assert.Equal(1008, (int)code!);
        Assert.Contains("flood", reason);
    }

    public static TheoryData<string, string> BadTokens() => new()
    {
        { TestTokens.Expired("eve"), "expired" },
        { TestTokens.SignedWithOtherKey("eve"), "signature" },
        { TestTokens.Unsigned("eve"), "token" },
        { "not-a-jwt", "malformed" },
        { "", "missing" },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task A_bad_token_closes_the_socket_with_4001_naming_the_problem(string token, string reasonPart)
    {
        await using var client = await _node.ConnectAsync();
        await client.SendJsonAsync(new { type = "auth", token, session_id = (string?)null });
        var (code, reason) = await client.WaitClosedAsync();
        Assert.Equal(4001, (int)code!);
        Assert.Contains("auth_failed", reason);
        Assert.Contains(reasonPart, reason);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task Publishing_without_the_right_api_key_is_401(string? apiKey)
    {
        using var response = await _node.PublishAsync("bystander", new { type = "x" }, apiKey);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("X-Api-Key", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("{\"id\":1}", "type")]
    [InlineData("{\"type\":3}", "type")]
    [InlineData("[1]", "object")]
    [InlineData("{\"type\":\"x\",\"event_id\":\"mine\"}", "event_id")]
    [InlineData("{\"type\":", "JSON")]
    [InlineData("{\"type\":\"x\",\"s\":\"\\ud800\"}", "surrogate")]
    [InlineData("{\"type\":\"\\udfff\"}", "surrogate")]
    public async Task A_bad_publish_body_is_400_with_a_message(string body, string mentions)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/users/bystander/events")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Api-Key", TestTokens.ApiKey);
        using var response = await _node.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(mentions, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_publish_body_over_the_limit_is_413()
    {
        using var response = await _node.PublishAsync("bystander", new { type = "big", pad = new string('x', 70_000) });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    /// <summary>
    /// The 64 KiB limit is the body the application sends: one of exactly 65,536 bytes is delivered whole, however
    /// much the frame grows (event_id, escaped characters); one byte more is 413, with or without Content-Length.
    /// </summary>
    [Theory]
    [InlineData('x')]
    [InlineData('é')] // two bytes in the body, six ("\u00e9") in the frame
    public async Task A_publish_body_of_64_KiB_is_delivered_and_one_byte_more_is_413(char padding)
    {
        await using var tab = await _node.ConnectAsync();
        await tab.AuthAsync(TestTokens.For("big-reader"));
        var (body, pad) = BodyOf(EventLimitBytes, padding);

        using (var response = await PublishRawAsync("big-reader", body, chunked: false))
        {
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        var frame = await tab.NextAsync();
        Assert.Equal(pad, frame.GetProperty("pad").GetString());
        await tab.AckAsync(frame.GetProperty("event_id").GetString()!);

        var (tooBig, _) = BodyOf(EventLimitBytes + 1, 'x');
        foreach (var chunked in new[] { false, true })
        {
            using var response = await PublishRawAsync("big-reader", tooBig, chunked);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("too_large", error.GetProperty("error").GetString());
            Assert.Contains("65536", error.GetProperty("message").GetString());
        }
        var (after, _) = await _node.PublishOkAsync("big-reader", new { type = "after" });
        Assert.Equal(after, (await tab.NextAsync()).GetProperty("event_id").GetString()); // the refused ones delivered nothing
    }

    /// <summary>The documented publish limit (docs/PROTOCOL.md): 64 KiB of body.</summary>
    private const int EventLimitBytes = 64 * 1024;

    /// <summary>A publish body of exactly <paramref name="bytes"/> UTF-8 bytes, its pad made of <paramref name="padding"/>.</summary>
    private static (byte[] Body, string Pad) BodyOf(int bytes, char padding)
    {
        const string prefix = "{\"type\":\"big\",\"pad\":\"", suffix = "\"}";
        var room = bytes - prefix.Length - suffix.Length;
        var width = Encoding.UTF8.GetByteCount(padding.ToString());
        var pad = new string(padding, room / width) + new string('x', room % width);
        var body = Encoding.UTF8.GetBytes(prefix + pad + suffix);
        Assert.Equal(bytes, body.Length);
        return (body, pad);
    }

    private async Task<HttpResponseMessage> PublishRawAsync(string userId, byte[] body, bool chunked)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/users/{userId}/events")
        {
            Content = chunked ? new StreamContent(new MemoryStream(body)) : new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = chunked;
        request.Headers.Add("X-Api-Key", TestTokens.ApiKey);
        return await _node.Http.SendAsync(request);
    }

    [Fact]
    public async Task A_plain_http_request_to_the_socket_endpoint_is_426()
    {
        using var response = await _node.Http.GetAsync("/ws");
        Assert.Equal(HttpStatusCode.UpgradeRequired, response.StatusCode);
    }
}

public sealed class BadInputTestsOnSqlite : BadInputTests
{
    protected override StoreKind Store => StoreKind.Sqlite;
}

public sealed class BadInputTestsOnPostgres : BadInputTests
{
    protected override StoreKind Store => StoreKind.Postgres;
}

/// <summary>The same suite on two silos of one Orleans cluster (grains without a placement of their own spread over both).</summary>
public sealed class BadInputTestsOnPostgresCluster : BadInputTests
{
    protected override StoreKind Store => StoreKind.PostgresCluster;
}
