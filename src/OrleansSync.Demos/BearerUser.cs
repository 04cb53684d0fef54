using Microsoft.AspNetCore.Http;
using OrleansSync.Gateway.Auth;

namespace OrleansSync.Demos;

/// <summary>Reads the caller from <c>Authorization: Bearer &lt;JWT&gt;</c>, validated by the gateway's JwtBearer scheme (the socket's rules).</summary>
public static class BearerUser
{
    /// <summary>The token's user, or null (with the reason) if the header is missing or the token invalid.</summary>
    public static async Task<(TokenUser? User, string? Error)> ReadAsync(HttpContext http)
    {
        var check = await BearerCheck.ReadAsync(http);
        return check.State switch
        {
            BearerState.Valid => (check.User, null),
            BearerState.Invalid => (null, check.Reason),
            _ => (null, "Authorization: Bearer <token> is required"),
        };
    }
}
