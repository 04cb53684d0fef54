using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OrleansSync.Conversations;
using OrleansSync.Gateway.Auth;

namespace OrleansSync.Gateway.Messaging;

/// <summary>Reads the caller of a messaging route from <c>Authorization: Bearer &lt;JWT&gt;</c>.</summary>
public static class BearerCaller
{
    /// <summary>
    /// The caller, or null if no Authorization header was sent. A header with a bad token is refused (401),
    /// never downgraded to anonymous.
    /// </summary>
    public static async Task<RoomCaller?> ReadAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return null;
        }
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            throw new RoomException(RoomErrorKind.Unauthorized, "bad_authorization", "Authorization must be 'Bearer <token>'");
        }
        var validator = context.RequestServices.GetRequiredService<TokenValidator>();
        var (user, error) = await validator.ValidateAsync(header["Bearer ".Length..].Trim());
        if (user is null)
        {
            throw new RoomException(RoomErrorKind.Unauthorized, "bad_token", error!);
        }
        return new RoomCaller(user.ChurchId, user.PersonId, user.DisplayName);
    }

    /// <summary>The caller; 401 if there is none.</summary>
    public static async Task<RoomCaller> RequireAsync(HttpContext context) =>
        await ReadAsync(context) ?? throw new RoomException(RoomErrorKind.Unauthorized, "token_required", "this route needs Authorization: Bearer <token>");
}
