using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OrleansSync.Bench.Shared;

namespace OrleansSync.Bench.Baseline;

/// <summary>Validates HS256 tokens like the node does (signature, HS256 only, exp required) so auth costs the same.</summary>
public sealed class BaselineTokenValidator(string signingKey)
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TokenValidationParameters _parameters = BenchTokenRules.For(signingKey);

    /// <summary>The token's <c>sub</c>, or null if the token is not valid.</summary>
    public async Task<string?> ValidateAsync(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }
        var result = await _handler.ValidateTokenAsync(token, _parameters).ConfigureAwait(false);
        return result.IsValid && result.Claims.TryGetValue("sub", out var sub) && sub is string { Length: > 0 } user ? user : null;
    }
}
