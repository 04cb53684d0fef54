using System.Net.Http.Json;
using System.Text.Json;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>What a test talks to: a node in this process (<see cref="TestNode"/>) or in its own (<see cref="ProcessNode"/>).</summary>
public interface INodeEndpoint
{
    HttpClient Http { get; }
    Uri WebSocketAddress { get; }
}

/// <summary>Publishing and connecting, the same for every kind of node.</summary>
public static class NodeEndpointExtensions
{
    public static async Task<HttpResponseMessage> PublishAsync(this INodeEndpoint node, string userId, object evt, string? apiKey = TestTokens.ApiKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/users/{Uri.EscapeDataString(userId)}/events")
        {
            Content = JsonContent.Create(evt),
        };
        if (apiKey is not null)
        {
            request.Headers.Add("X-Api-Key", apiKey);
        }
        return await node.Http.SendAsync(request);
    }

    /// <summary>Publishes and returns the assigned event id (asserting 202).</summary>
    public static async Task<(string EventId, int Sessions)> PublishOkAsync(this INodeEndpoint node, string userId, object evt)
    {
        using var response = await node.PublishAsync(userId, evt);
        var body = await response.Content.ReadAsStringAsync();
        Xunit.Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, $"publish answered {(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        return (json.RootElement.GetProperty("event_id").GetString()!, json.RootElement.GetProperty("sessions").GetInt32());
    }

    /// <summary>Publishes <paramref name="count"/> copies of <paramref name="evt"/>, eight at a time (asserting 202 each); returns their ids.</summary>
    public static async Task<List<string>> PublishManyAsync(this INodeEndpoint node, string userId, int count, object evt)
    {
        var ids = new List<string>(count);
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < count)
            {
                var (eventId, _) = await node.PublishOkAsync(userId, evt);
                lock (ids)
                {
                    ids.Add(eventId);
                }
            }
        }));
        return ids;
    }

    public static Task<WsClient> ConnectAsync(this INodeEndpoint node) => WsClient.ConnectAsync(node.WebSocketAddress);

    /// <summary>The node's /metrics, parsed.</summary>
    public static async Task<PrometheusText> ScrapeAsync(this INodeEndpoint node) =>
        PrometheusText.Parse(await node.Http.GetStringAsync("/metrics"));
}
