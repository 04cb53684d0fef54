using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansSync.Delivery;
using OrleansSync.Gateway.Http;
using OrleansSync.Gateway.Publishing;

namespace OrleansSync.Gateway.Cluster;

/// <summary>
/// <c>POST /internal/session-lists/forget</c> (the <c>Api:Key</c> in <c>X-Api-Key</c>): another node changed what some
/// users' publishes must reach; this node drops its copies of their session lists (<see cref="UserSessionCache"/>) and
/// answers 204 once it has. Body: <c>{"users":["u1","u2"]}</c>, or <c>{"users":null}</c> for every user.
/// </summary>
public static class SessionListEndpoints
{
    /// <summary>The route.</summary>
    public const string Route = "/internal/session-lists/forget";

    /// <summary>The largest body: an announcement names the users of the claims that overlapped it (or null: every user).</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    /// <summary>Maps the route (every node: any node may keep copies).</summary>
    public static RouteHandlerBuilder MapSessionListForget(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost(Route, ForgetAsync).AddEndpointFilter<ApiKeyFilter>().WithBodyLimit(MaxBodyBytes);

    /// <remarks>
    /// The body is read here rather than bound by ASP.NET: its binder answers a failed read with an empty 200, and a body
    /// over the limit must be the 413 of every route (<see cref="ErrorAnswers"/>).
    /// </remarks>
    private static async Task<IResult> ForgetAsync(HttpContext http, UserSessionCache cache)
    {
        ForgetSessionListsRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(http.Request.Body, GatewayJsonContext.Default.ForgetSessionListsRequest, http.RequestAborted);
        }
        catch (JsonException exception)
        {
            return PublishEndpoints.Error(StatusCodes.Status400BadRequest, "bad_json", "the body is not {\"users\":[…]}: " + exception.Message);
        }
        if (request is null)
        {
            return PublishEndpoints.Error(StatusCodes.Status400BadRequest, "bad_json", "the body is not {\"users\":[…]}");
        }
        if (request.Users is { } users && users.Any(string.IsNullOrEmpty))
        {
            return PublishEndpoints.Error(StatusCodes.Status400BadRequest, "bad_users", "users must be non-empty user ids (or null for every user)");
        }
        cache.Forget(request.Users);
        return Results.NoContent();
    }
}

/// <summary>Body of <see cref="SessionListEndpoints.Route"/>: the users whose lists to drop, null for every user.</summary>
public sealed record ForgetSessionListsRequest(string[]? Users);
