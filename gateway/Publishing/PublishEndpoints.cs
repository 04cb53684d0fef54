using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansSync.Delivery;
using OrleansSync.Gateway.Http;
using OrleansSync.Protocol;

namespace OrleansSync.Gateway.Publishing;

/// <summary><c>POST /api/users/{userId}/events</c>: publish to every session of a user.</summary>
public static class PublishEndpoints
{
    /// <summary>Maps the publish API.</summary>
    public static RouteGroupBuilder MapPublishApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api").AddEndpointFilter<ApiKeyFilter>();
        api.MapPost("/users/{userId}/events", PublishToUserAsync).WithBodyLimit(EventFrame.MaxEventBytes);
        return api;
    }

    /// <remarks>
    /// A body over the limit (413) and a store that cannot write (503) end in exceptions that <see cref="ErrorAnswers"/>
    /// answers, as on every route.
    /// </remarks>
    private static async Task<IResult> PublishToUserAsync(string userId, HttpRequest request, IEventPublisher publisher, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, default, cancellationToken);
        }
        catch (JsonException exception)
        {
            return Error(StatusCodes.Status400BadRequest, "bad_json", "the body is not valid JSON: " + exception.Message);
        }
        using (document)
        {
            try
            {
                var result = await publisher.PublishToUserAsync(userId, document.RootElement, cancellationToken);
                return Results.Json(new PublishResponse(result.EventId, result.Sessions), GatewayJsonContext.Default.PublishResponse,
                    statusCode: StatusCodes.Status202Accepted);
            }
            catch (InvalidEventException exception)
            {
                return Error(StatusCodes.Status400BadRequest, "bad_event", exception.Message);
            }
        }
    }

    /// <summary>An error answer with the shared <see cref="ErrorBody"/> shape.</summary>
    public static IResult Error(int status, string code, string message) =>
        Results.Json(new ErrorBody(code, message), GatewayJsonContext.Default.ErrorBody, statusCode: status);
}
