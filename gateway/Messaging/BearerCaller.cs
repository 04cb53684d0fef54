using Microsoft.AspNetCore.Http;
using OrleansSync.Conversations;
using OrleansSync.Gateway.Auth;

namespace OrleansSync.Gateway.Messaging;

/// <summary>The caller of a messaging route, from the JwtBearer handler's reading of <c>Authorization: Bearer &lt;JWT&gt;</c>.</summary>
public static class BearerCaller
{
    /// <summary>
    /// For routes where a token is optional: the caller, or null if no Authorization header was sent. A header
    /// with a bad token is refused (401), never downgraded to anonymous.
    /// </summary>
    public static async Task<RoomCaller?> ReadAsync(HttpContext context)
    {
        var check = await BearerCheck.ReadAsync(context);
        return check.State switch
        {
            BearerState.Absent => null,
            BearerState.Valid => Caller(check.User!),
            _ => throw new RoomException(RoomErrorKind.Unauthorized, check.Error.Error, check.Error.Message),
        };
    }

    /// <summary>
    /// For routes behind <c>RequireAuthorization()</c>, which answer a missing or bad token with the 401 before
    /// the route runs: the authenticated caller.
    /// </summary>
    public static RoomCaller Require(HttpContext context) =>
        TokenUser.From(context.User) is { } user
            ? Caller(user)
            : throw new InvalidOperationException($"{context.Request.Path} reads its caller but is not mapped with RequireAuthorization()");

    private static RoomCaller Caller(TokenUser user) => new(user.ChurchId, user.PersonId, user.DisplayName);
}
