using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>Calls the /messaging routes as a ChurchApps client would, optionally with a Bearer token.</summary>
public sealed class MessagingClient(TestNode node, string? token = null)
{
    public async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, "/messaging" + path);
        if (body is not null)
        {
            request.Content = body is string raw ? new StringContent(raw, System.Text.Encoding.UTF8, "application/json") : JsonContent.Create(body);
        }
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        using var response = await node.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public async Task<JsonElement> OkAsync(HttpMethod method, string path, object? body = null)
    {
        var (status, json) = await SendAsync(method, path, body);
        Xunit.Assert.True(status == HttpStatusCode.OK, $"{method} {path} answered {(int)status}: {json}");
        return json;
    }

    public Task<JsonElement> PostAsync(string path, object body) => OkAsync(HttpMethod.Post, path, body);

    /// <summary>Creates a conversation in the token's church and returns its id.</summary>
    public async Task<string> CreateConversationAsync(bool allowAnonymousPosts, string title = "Room")
    {
        var rows = await PostAsync("/conversations", new[] { new { contentType = "streamingLive", contentId = "s1", title, allowAnonymousPosts } });
        return rows[0].GetProperty("id").GetString()!;
    }

    public Task<JsonElement> JoinAsync(string churchId, string conversationId, string socketId, string displayName, string? personId = null) =>
        PostAsync("/connections", new[] { new { churchId, conversationId, socketId, displayName, personId } });
}
