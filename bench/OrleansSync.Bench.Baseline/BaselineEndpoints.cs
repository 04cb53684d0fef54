using System.Text.Json;
using OrleansSync.Bench.Shared;

namespace OrleansSync.Bench.Baseline;

/// <summary>The baseline's two endpoints: <c>/ws</c> and <c>POST /api/users/{userId}/events</c>.</summary>
public static class BaselineEndpoints
{
    public static void MapBaselineWebSocket(this WebApplication app) => app.Map("/ws", async context =>
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            return;
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        var services = context.RequestServices;
        var connection = new BaselineSocket(socket, services.GetRequiredService<BaselineTokenValidator>(), services.GetRequiredService<UserSockets>());
        await connection.RunAsync(app.Lifetime.ApplicationStopping);
    });

    public static void MapBaselinePublish(this WebApplication app, string apiKey)
    {
        var keyCheck = new ApiKeyCheck(apiKey);
        app.MapPost("/api/users/{userId}/events", async (string userId, HttpContext context, UserSockets users) =>
        {
            if (!keyCheck.Matches(context.Request.Headers["X-Api-Key"]))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }
            JsonDocument document;
            try
            {
                document = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
            }
            catch (JsonException)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }
            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                {
                    context.Response.StatusCode = StatusCodes.Status400BadRequest;
                    return;
                }
                var eventId = Guid.CreateVersion7().ToString("N");
                var sessions = users.FanOut(userId, BaselineFrames.Event(root, eventId));
                context.Response.StatusCode = StatusCodes.Status202Accepted;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync($$"""{"event_id":"{{eventId}}","sessions":{{sessions}}}""");
            }
        });
    }
}
