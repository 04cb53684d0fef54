using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Gateway;

/// <summary>
/// <c>Authorization: Bearer</c> on the /messaging routes that need a token (ASP.NET's JwtBearer handler): the same
/// rules as the socket's <c>auth</c> frame, and the documented 401 body <c>{"error","message"}</c> for every refusal.
/// One real node (SQLite) serves the whole class: these requests change nothing a later one could see.
/// </summary>
public sealed class RestBearerTokenTests(RestBearerTokenTests.Node node) : IClassFixture<RestBearerTokenTests.Node>
{
    private const string Church = "church-a";
    private const string ProtectedRoute = "/notifications/unreadCount";

    public sealed class Node : IAsyncLifetime
    {
        public TestNode Instance { get; private set; } = null!;
        public async Task InitializeAsync() => Instance = await TestNode.StartAsync(("Demos:Enabled", "true")); // the demo photo API too
        public async Task DisposeAsync() => await Instance.DisposeAsync();
    }

    /// <summary>Every route that acts as the token's person, with a body it would accept.</summary>
    public static TheoryData<string, string, object?> SignedInRoutes() => new()
    {
        { "POST", "/conversations", new[] { new { contentType = "streamingLive", contentId = "s1", title = "Room", allowAnonymousPosts = true } } },
        { "POST", "/conversations/c1/callout", new { content = "hello" } },
        { "POST", "/messages", new[] { new { conversationId = "c1", content = "hi" } } },
        { "GET", "/messages/conversation/c1", null },
        { "DELETE", "/messages/m1", null },
        { "POST", "/messages/m1/reactions", new { emoji = "👍" } },
        { "POST", "/privateMessages", new { toPersonId = "p2", content = "hi" } },
        { "GET", ProtectedRoute, null },
    };

    [Theory]
    [MemberData(nameof(SignedInRoutes))]
    public async Task A_route_that_needs_a_token_answers_a_request_without_one_with_401_token_required(string method, string path, object? body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), "/messaging" + path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await node.Instance.Http.SendAsync(request);
        AssertDocumentedError(response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement, "token_required");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    public static TheoryData<string, string> RefusedTokens() => new()
    {
        { "not-a-jwt", "token malformed" },
        { TestTokens.Expired("eve"), "token expired" },
        // Past the node's 30 s skew, within JwtBearer's own default of 5 minutes: only the shared rules refuse it.
        { TestTokens.ExpiredFor("eve", TimeSpan.FromMinutes(2)), "token expired" },
        { TestTokens.SignedWithOtherKey("eve"), "token signature invalid" },
        { TestTokens.Unsigned("eve"), "token signature invalid" },
        { TestTokens.Rs256("eve"), "token signature invalid" },
        { TestTokens.WithoutSubject(), "token has no sub claim" },
    };

    [Theory]
    [MemberData(nameof(RefusedTokens))]
    public async Task A_refused_token_is_401_bad_token_naming_the_problem(string token, string reasonPart)
    {
        var (status, error) = await new MessagingClient(node.Instance, token).SendAsync(HttpMethod.Get, ProtectedRoute);
        AssertDocumentedError(status, error, "bad_token");
        Assert.StartsWith(reasonPart, error.GetProperty("message").GetString());
    }

    [Theory]
    [MemberData(nameof(RefusedTokens))]
    public async Task The_socket_and_the_rest_routes_give_a_token_the_same_verdict(string token, string reasonPart)
    {
        var (_, error) = await new MessagingClient(node.Instance, token).SendAsync(HttpMethod.Get, ProtectedRoute);
        await using var socket = await node.Instance.ConnectAsync();
        await socket.SendJsonAsync(new { type = "auth", token, session_id = (string?)null });
        var (code, reason) = await socket.WaitClosedAsync();
        Assert.Equal(4001, (int)code!);
        Assert.Equal("auth_failed: " + error.GetProperty("message").GetString(), reason);
        Assert.Contains(reasonPart, reason);
    }

    [Fact]
    public async Task An_authorization_header_of_another_scheme_is_401_bad_authorization()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/messaging" + ProtectedRoute);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("eve:secret"u8.ToArray()));
        using var response = await node.Instance.Http.SendAsync(request);
        AssertDocumentedError(response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement, "bad_authorization");
    }

    [Fact]
    public async Task A_valid_token_reaches_the_route_as_its_person()
    {
        var counts = await new MessagingClient(node.Instance, TestTokens.For("ann", Church, "ann-person", "Ann")).OkAsync(HttpMethod.Get, ProtectedRoute);
        Assert.Equal(0, counts.GetProperty("notificationCount").GetInt32());
        Assert.Equal(0, counts.GetProperty("pmCount").GetInt32());

        // The claims reach the route: a private message is saved from the token's person (personId), in its church.
        var sent = await new MessagingClient(node.Instance, TestTokens.For("ann", Church, "ann-person", "Ann"))
            .PostAsync("/privateMessages", new { toPersonId = "bob-person", content = "hi" });
        Assert.Equal("ann-person", sent.GetProperty("fromPersonId").GetString());
        Assert.Equal(Church, sent.GetProperty("churchId").GetString());
        var bobCounts = await new MessagingClient(node.Instance, TestTokens.For("bob", Church, "bob-person")).OkAsync(HttpMethod.Get, ProtectedRoute);
        Assert.Equal(1, bobCounts.GetProperty("pmCount").GetInt32());
    }

    [Fact]
    public async Task A_token_expired_within_the_clock_skew_is_still_accepted()
    {
        var (status, body) = await new MessagingClient(node.Instance, TestTokens.ExpiredFor("eve", TimeSpan.FromSeconds(10))).SendAsync(HttpMethod.Get, ProtectedRoute);
        Assert.True(status == HttpStatusCode.OK, $"answered {(int)status}: {body}");
    }

    [Fact]
    public async Task A_route_where_the_token_is_optional_refuses_a_bad_token_instead_of_treating_it_as_anonymous()
    {
        await using var socket = await node.Instance.ConnectAsync();
        var join = new[] { new { churchId = Church, conversationId = "c1", socketId = await socket.GetIdAsync(), displayName = "x" } };
        var (status, error) = await new MessagingClient(node.Instance, TestTokens.Expired("eve")).SendAsync(HttpMethod.Post, "/connections", join);
        AssertDocumentedError(status, error, "bad_token");
        Assert.Equal("token expired", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_configured_issuer_and_audience_are_required_over_rest_as_on_the_socket()
    {
        await using var strict = await TestNode.StartAsync(("Auth:Issuer", "https://issuer.test"), ("Auth:Audience", "orleanssync"));
        var (status, error) = await new MessagingClient(strict, TestTokens.For("eve")).SendAsync(HttpMethod.Get, ProtectedRoute);
        AssertDocumentedError(status, error, "bad_token");
        (status, error) = await new MessagingClient(strict, TestTokens.WithIssuer("eve", "https://issuer.test", "someone-else")).SendAsync(HttpMethod.Get, ProtectedRoute);
        AssertDocumentedError(status, error, "bad_token");
        Assert.Equal("token audience invalid", error.GetProperty("message").GetString());

        await new MessagingClient(strict, TestTokens.WithIssuer("eve", "https://issuer.test", "orleanssync")).OkAsync(HttpMethod.Get, ProtectedRoute);
        await using var socket = await strict.ConnectAsync();
        var ok = await socket.AuthAsync(TestTokens.WithIssuer("eve", "https://issuer.test", "orleanssync"));
        Assert.Equal("eve", ok.GetProperty("user").GetString());
    }

    [Fact]
    public async Task The_demo_photo_api_reads_its_caller_through_the_same_scheme()
    {
        async Task<(HttpStatusCode, string)> ListAsync(string? token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/demo/api/photos/");
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
            using var response = await node.Instance.Http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var (status, body) = await ListAsync(null);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("\"unauthorized\"", body);
        (status, body) = await ListAsync(TestTokens.Expired("eve"));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("token expired", body);
        (status, body) = await ListAsync(TestTokens.For("eve"));
        Assert.True(status == HttpStatusCode.OK, $"answered {(int)status}: {body}");
    }

    private static void AssertDocumentedError(HttpStatusCode status, JsonElement error, string code)
    {
        Assert.True(status == HttpStatusCode.Unauthorized, $"answered {(int)status}: {error}");
        Assert.Equal(code, error.GetProperty("error").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal(["error", "message"], error.EnumerateObject().Select(p => p.Name));
    }
}
