using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansSync.Conversations;
using OrleansSync.Protocol;
using OrleansSync.Gateway.Http;
using OrleansSync.Gateway.Publishing;

namespace OrleansSync.Gateway.Messaging;

/// <summary>
/// The ChurchApps REST routes under <c>/messaging</c> (PROTOCOL §3), thin over <see cref="RoomService"/>:
/// read the body and the caller, call the service, map <see cref="RoomException"/> to a status.
/// </summary>
public static class MessagingEndpoints
{
    private const int MaxBodyBytes = 256 * 1024;
    private static ChurchAppsJson Json => ChurchAppsJson.Default;

    /// <summary>Maps every messaging route, plus the application notification route under /api.</summary>
    public static void MapMessaging(this IEndpointRouteBuilder endpoints)
    {
        var messaging = endpoints.MapGroup("/messaging").WithBodyLimit(MaxBodyBytes);
        // Routes that act as the token's person: the JwtBearer challenge answers a missing or bad token (401)
        // before the route reads its body.
        var signedIn = endpoints.MapGroup("/messaging").RequireAuthorization().WithBodyLimit(MaxBodyBytes);

        messaging.MapPost("/connections", (HttpContext http, RoomService rooms) => Handle(http, async () =>
            Ok(await rooms.JoinAsync(await BodyAsync(http, Json.ListJoinRequest), await BearerCaller.ReadAsync(http)), Json.IReadOnlyListRoomConnection)));
        messaging.MapPost("/connections/setName", (HttpContext http, RoomService rooms) => Handle(http, async () =>
        {
            var body = await BodyAsync(http, Json.JsonElement);
            var rooms_ = await rooms.SetNameAsync(StringField(body, "socketId"), StringField(body, "name"));
            return Results.Json(new { success = true, rooms = rooms_ });
        }));
        messaging.MapDelete("/connections/{churchId}/{conversationId}/{socketId}", (HttpContext http, string churchId, string conversationId, string socketId,
            RoomService rooms) => Handle(http, async () =>
        {
            await rooms.LeaveAsync(churchId, conversationId, socketId);
            return Results.Json(new { success = true });
        }));
        messaging.MapGet("/connections/{churchId}/{conversationId}", (HttpContext http, string churchId, string conversationId, RoomService rooms) =>
            Handle(http, async () => Ok(await rooms.ListConnectionsAsync(churchId, conversationId, await BearerCaller.ReadAsync(http)),
                Json.IReadOnlyListRoomConnection)));

        signedIn.MapPost("/conversations", (HttpContext http, RoomService rooms) => Handle(http, async () =>
            Ok(await rooms.CreateConversationsAsync(await BodyAsync(http, Json.ListCreateConversationRequest), BearerCaller.Require(http)),
                Json.IReadOnlyListConversation)));
        signedIn.MapPost("/conversations/{conversationId}/callout", (HttpContext http, string conversationId, RoomService rooms) => Handle(http, async () =>
        {
            var caller = BearerCaller.Require(http);
            var body = await BodyAsync(http, Json.JsonElement);
            return Ok(await rooms.CalloutAsync(conversationId, StringField(body, "content"), caller), Json.ChatMessage);
        }));

        messaging.MapPost("/messages/send", (HttpContext http, RoomService rooms) => Handle(http, async () =>
            Ok(await rooms.SendAnonymousAsync(await BodyAsync(http, Json.ListPostMessageRequest)), Json.IReadOnlyListChatMessage)));
        signedIn.MapPost("/messages", (HttpContext http, RoomService rooms) => Handle(http, async () =>
        {
            var caller = BearerCaller.Require(http);
            return Ok(await rooms.PostAsync(await BodyAsync(http, Json.ListPostMessageRequest), caller), Json.IReadOnlyListChatMessage);
        }));
        signedIn.MapGet("/messages/conversation/{conversationId}", (HttpContext http, string conversationId, RoomService rooms) => Handle(http, async () =>
        {
            var caller = BearerCaller.Require(http);
            return Ok(await rooms.HistoryAsync(caller.ChurchId, conversationId), Json.IReadOnlyListChatMessage);
        }));
        messaging.MapGet("/messages/catchup/{churchId}/{conversationId}", (HttpContext http, string churchId, string conversationId, RoomService rooms) =>
            Handle(http, async () => Ok(await rooms.HistoryAsync(churchId, conversationId), Json.IReadOnlyListChatMessage)));
        signedIn.MapDelete("/messages/{id}", (HttpContext http, string id, RoomService rooms) => Handle(http, async () =>
        {
            await rooms.DeleteMessageAsync(id, BearerCaller.Require(http));
            return Results.Json(new { success = true });
        }));
        signedIn.MapPost("/messages/{messageId}/reactions", (HttpContext http, string messageId, RoomService rooms) => Handle(http, async () =>
        {
            var caller = BearerCaller.Require(http);
            var body = await BodyAsync(http, Json.JsonElement);
            return Ok(await rooms.ToggleReactionAsync(messageId, StringField(body, "emoji"), caller), Json.Reaction);
        }));

        signedIn.MapPost("/privateMessages", (HttpContext http, RoomService rooms) => Handle(http, async () =>
        {
            var caller = BearerCaller.Require(http);
            return Ok(await rooms.SendPrivateMessageAsync(await BodyAsync(http, Json.PrivateMessageRequest), caller), Json.PrivateMessage);
        }));
        signedIn.MapGet("/notifications/unreadCount", (HttpContext http, RoomService rooms) => Handle(http, async () =>
            Ok(await rooms.UnreadCountAsync(BearerCaller.Require(http)), Json.NotificationCounts)));

        // Application servers raise notifications with the publish API key.
        endpoints.MapPost("/api/notifications", (HttpContext http, RoomService rooms) => Handle(http, async () =>
        {
            var body = await BodyAsync(http, Json.JsonElement);
            return Ok(await rooms.NotifyAsync(StringField(body, "churchId"), StringField(body, "personId")), Json.NotificationCounts);
        })).AddEndpointFilter<ApiKeyFilter>().WithBodyLimit(MaxBodyBytes);
    }

    private static IResult Ok<T>(T value, JsonTypeInfo<T> type) => Results.Json(value, type);

    private static async Task<IResult> Handle(HttpContext http, Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (RoomException exception)
        {
            var status = exception.Kind switch
            {
                RoomErrorKind.Unauthorized => StatusCodes.Status401Unauthorized,
                RoomErrorKind.Forbidden => StatusCodes.Status403Forbidden,
                RoomErrorKind.NotFound => StatusCodes.Status404NotFound,
                _ => StatusCodes.Status400BadRequest,
            };
            return PublishEndpoints.Error(status, exception.Code, exception.Message);
        }
    }

    /// <summary>
    /// Reads a JSON body; bad JSON becomes a 400 naming the problem. Kestrel stops reading at the routes' limit of
    /// <see cref="MaxBodyBytes"/>, however the body is framed (413, <see cref="ErrorAnswers"/>).
    /// </summary>
    private static async Task<T?> BodyAsync<T>(HttpContext http, JsonTypeInfo<T> type)
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(http.Request.Body, type, http.RequestAborted);
        }
        catch (JsonException exception)
        {
            throw new RoomException(RoomErrorKind.Invalid, "bad_json", "the body is not the expected JSON: " + exception.Message);
        }
        catch (InvalidOperationException)
        {
            throw InvalidText();
        }
    }

    private static string? StringField(JsonElement body, string name)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String)
        {
            return null;
        }
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            throw InvalidText();
        }
    }

    private static RoomException InvalidText() => new(RoomErrorKind.Invalid, "bad_json", "the body is not the expected JSON: " + InvalidJsonText.Message);
}
