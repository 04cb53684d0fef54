using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using OrleansSync.Delivery;
using OrleansSync.Protocol;

namespace OrleansSync.Gateway.Publishing;

/// <summary><c>POST /api/users/{userId}/events</c>: publish to every session of a user.</summary>
public static class PublishEndpoints
{
    /// <summary>Maps the publish API.</summary>
    public static RouteGroupBuilder MapPublishApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api").AddEndpointFilter<ApiKeyFilter>();
        api.MapPost("/users/{userId}/events", PublishToUserAsync);
        return api;
    }

    private static async Task<IResult> PublishToUserAsync(string userId, HttpRequest request, IEventPublisher publisher, CancellationToken cancellationToken)
    {
        if (request.ContentLength > EventFrame.MaxEventBytes)
        {
            return TooLarge();
        }
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = EventFrame.MaxEventBytes;
        }
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, default, cancellationToken);
        }
        catch (JsonException exception)
        {
            return Error(StatusCodes.Status400BadRequest, "bad_json", "the body is not valid JSON: " + exception.Message);
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge();
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

    private static IResult TooLarge() =>
        Error(StatusCodes.Status413PayloadTooLarge, "too_large", $"the event is larger than {EventFrame.MaxEventBytes} bytes");

    /// <summary>An error answer with the shared <see cref="ErrorBody"/> shape.</summary>
    public static IResult Error(int status, string code, string message) =>
        Results.Json(new ErrorBody(code, message), GatewayJsonContext.Default.ErrorBody, statusCode: status);
}
