using System.Security.Claims;

namespace OrleansSync.Gateway.Auth;

/// <summary>Validates the token of the socket's <c>auth</c> frame by <see cref="TokenRules"/>, as the REST routes do.</summary>
public sealed class TokenValidator(TokenRules rules)
{
    /// <summary>The user of a valid token, or an error text naming why it was refused.</summary>
    public async Task<(TokenUser? User, string? Error)> ValidateAsync(string? token)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            return (null, TokenFailure.Missing);
        }
        var result = await rules.Handler.ValidateTokenAsync(token, rules.Parameters).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return (null, TokenFailure.Describe(result.Exception));
        }
        return TokenUser.From(new ClaimsPrincipal(result.ClaimsIdentity)) is { } user
            ? (user, null)
            : (null, TokenFailure.Describe(new SecurityTokenNoSubjectException()));
    }
}
