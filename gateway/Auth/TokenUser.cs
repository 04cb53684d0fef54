using System.Security.Claims;

namespace OrleansSync.Gateway.Auth;

/// <summary>Who a valid token speaks for.</summary>
/// <param name="UserId">The <c>sub</c> claim.</param>
/// <param name="ChurchId">The optional <c>churchId</c> claim ("" if absent).</param>
/// <param name="PersonId">The <c>personId</c> claim, or <c>sub</c>.</param>
/// <param name="DisplayName">The <c>name</c> claim, or <c>sub</c>.</param>
public sealed record TokenUser(string UserId, string ChurchId, string PersonId, string DisplayName)
{
    /// <summary>
    /// The user of a validated token's claims (JWT claim names, see <see cref="TokenRules.Handler"/>), or null if
    /// they carry no <c>sub</c>.
    /// </summary>
    public static TokenUser? From(ClaimsPrincipal principal)
    {
        var sub = Value(principal, "sub");
        if (sub is null)
        {
            return null;
        }
        return new TokenUser(sub, Value(principal, "churchId") ?? "", Value(principal, "personId") ?? sub, Value(principal, "name") ?? sub);
    }

    private static string? Value(ClaimsPrincipal principal, string type) =>
        principal.FindFirst(type)?.Value is { Length: > 0 } value ? value : null;
}
