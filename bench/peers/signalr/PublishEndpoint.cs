using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR;
using OrleansSync.Bench.Shared;

namespace OrleansSync.Bench.SignalR;

/// <summary>
/// <c>POST /api/users/{userId}/events</c> as on the node: <c>X-Api-Key</c>, a JSON object with a string <c>type</c>;
/// the object plus <c>event_id</c> goes to the user's group as the invocation <c>event</c>, and the answer is 202
/// with the <c>event_id</c> (no session count: SignalR does not count a group's members).
/// </summary>
public static class PublishEndpoint
{
    public static void MapPublish(this WebApplication app, string apiKey)
    {
        var keyCheck = new ApiKeyCheck(apiKey);
        app.MapPost("/api/users/{userId}/events", async (string userId, HttpContext context, IHubContext<EventsHub> hub) =>
        {
            if (!keyCheck.Matches(context.Request.Headers["X-Api-Key"]))
            {
                return Results.Unauthorized();
            }
            JsonObject? published;
            try
            {
                published = await JsonSerializer.DeserializeAsync<JsonNode>(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject;
            }
            catch (JsonException)
            {
                published = null;
            }
            if (published?["type"] is not JsonValue type || type.GetValueKind() != JsonValueKind.String)
            {
                return Results.BadRequest(new { error = "the body must be a JSON object with a string type" });
            }
            var eventId = Guid.CreateVersion7().ToString("N");
            published["event_id"] = eventId;
            await hub.Clients.Group(EventsHub.GroupOf(userId)).SendAsync("event", published, context.RequestAborted);
            return Results.Json(new { event_id = eventId }, statusCode: StatusCodes.Status202Accepted);
        });
    }
}
