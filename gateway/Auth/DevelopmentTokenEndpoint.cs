using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace OrleansSync.Gateway.Auth;

/// <summary>
/// <c>GET /dev/token?sub=alice&amp;churchId=&amp;personId=&amp;name=</c> returns a one-hour token signed with the
/// configured key. Mapped only in the Development environment, for demos and manual testing.
/// </summary>
public static class DevelopmentTokenEndpoint
{
    /// <summary>Maps <c>/dev/token</c>.</summary>
    public static void MapDevelopmentTokens(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/dev/token", (string? sub, string? churchId, string? personId, string? name, TokenIssuer issuer) =>
            string.IsNullOrWhiteSpace(sub)
                ? Results.BadRequest("query parameter sub is required")
                : Results.Text(issuer.Issue(sub, TimeSpan.FromHours(1), churchId, personId, name)));
}
