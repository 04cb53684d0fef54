using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansSync.Delivery;
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

    /// <summary>Maps the route (every node: any node may keep copies).</summary>
    public static RouteHandlerBuilder MapSessionListForget(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost(Route, Forget).AddEndpointFilter<ApiKeyFilter>();

    private static IResult Forget(ForgetSessionListsRequest request, UserSessionCache cache)
    {
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
