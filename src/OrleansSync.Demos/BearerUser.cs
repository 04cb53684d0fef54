using Microsoft.AspNetCore.Http;
using OrleansSync.Gateway.Auth;

namespace OrleansSync.Demos;

/// <summary>Reads the caller from <c>Authorization: Bearer &lt;JWT&gt;</c>, validated like the socket's <c>auth</c> token.</summary>
public static class BearerUser
{
    /// <summary>The token's user, or null (with the reason) if the header is missing or the token invalid.</summary>
    public static async Task<(TokenUser? User, string? Error)> ReadAsync(HttpRequest request, TokenValidator validator)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return (null, "Authorization: Bearer <token> is required");
        }
        return await validator.ValidateAsync(header[scheme.Length..].Trim());
    }
}
