using System.Net;
using System.Net.Http.Json;
using OrleansSync.Delivery;
using OrleansSync.Gateway.Cluster;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Gateway;

/// <summary>
/// <c>POST /internal/session-lists/forget</c> against a real node: the key, bad bodies, and that the node's copy of a
/// user's session list is gone once it answered.
/// </summary>
public sealed class SessionListEndpointTests
{
    [Fact]
    public async Task A_forget_drops_the_nodes_copy_of_the_users_list_before_it_answers()
    {
        await using var node = await TestNode.StartAsync();
        await using var tab = await node.ConnectAsync();
        await tab.AuthAsync(TestTokens.For("hana"));
        var copies = node.Service<UserSessionCache>();
        await Eventually.TrueAsync(async () =>
        {
            var (eventId, _) = await node.PublishOkAsync("hana", new { type = "added", id = "p" });
            Assert.Equal(eventId, (await tab.NextAsync()).GetProperty("event_id").GetString());
            await tab.AckAsync(eventId);
            return copies.TryGet("hana", out _);
        }, because: "the node keeps a copy of hana's list after a publish read it");

        using var response = await ForgetAsync(node, new { users = new[] { "hana" } });

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.False(copies.TryGet("hana", out _));
    }

    [Fact]
    public async Task A_forget_needs_the_api_key()
    {
        await using var node = await TestNode.StartAsync();
        using var response = await ForgetAsync(node, new { users = (string[]?)null }, apiKey: "wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("""{"users":[""]}""")]
    [InlineData("""{"users":["a",null]}""")]
    [InlineData("""not json""")]
    public async Task A_bad_body_is_answered_400_and_the_node_keeps_serving(string body)
    {
        await using var node = await TestNode.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, SessionListEndpoints.Route)
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Api-Key", TestTokens.ApiKey);
        using var response = await node.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var health = await node.Http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    private static async Task<HttpResponseMessage> ForgetAsync(TestNode node, object body, string apiKey = TestTokens.ApiKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, SessionListEndpoints.Route) { Content = JsonContent.Create(body) };
        request.Headers.Add("X-Api-Key", apiKey);
        return await node.Http.SendAsync(request);
    }
}
