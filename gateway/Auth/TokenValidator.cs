using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OrleansSync.Gateway.Auth;

/// <summary>Validates HS256 JWTs: signature, algorithm (only HS256), expiry (required), optional issuer/audience.</summary>
public sealed class TokenValidator
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TokenValidationParameters _parameters;

    /// <summary>Builds the validation parameters once from <see cref="AuthOptions"/>.</summary>
    public TokenValidator(IOptions<AuthOptions> options)
    {
        var auth = options.Value;
        _parameters = new TokenValidationParameters
        {
            IssuerSigningKey = SigningKey(auth),
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = auth.ClockSkew,
            ValidateIssuer = !string.IsNullOrEmpty(auth.Issuer),
            ValidIssuer = auth.Issuer,
            ValidateAudience = !string.IsNullOrEmpty(auth.Audience),
            ValidAudience = auth.Audience,
        };
    }

    /// <summary>The symmetric key of <paramref name="auth"/>; throws if it is missing or shorter than 32 bytes.</summary>
    public static SymmetricSecurityKey SigningKey(AuthOptions auth)
    {
        var bytes = Encoding.UTF8.GetBytes(auth.SigningKey ?? "");
        if (bytes.Length < 32)
        {
            throw new InvalidOperationException("Auth:SigningKey must be set to at least 32 bytes (HS256).");
        }
        return new SymmetricSecurityKey(bytes);
    }

    /// <summary>The user of a valid token, or an error text naming why it was refused.</summary>
    public async Task<(TokenUser? User, string? Error)> ValidateAsync(string? token)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            return (null, "token missing");
        }
        if (token.Length > 8192)
        {
            return (null, "token too long");
        }
        var result = await _handler.ValidateTokenAsync(token, _parameters).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return (null, Describe(result.Exception));
        }
        var claims = result.Claims;
        if (!claims.TryGetValue("sub", out var subValue) || subValue is not string { Length: > 0 } sub)
        {
            return (null, "token has no sub claim");
        }
        var churchId = claims.TryGetValue("churchId", out var c) ? c?.ToString() ?? "" : "";
        var personId = claims.TryGetValue("personId", out var p) && p?.ToString() is { Length: > 0 } person ? person : sub;
        var name = claims.TryGetValue("name", out var n) && n?.ToString() is { Length: > 0 } displayName ? displayName : sub;
        return (new TokenUser(sub, churchId, personId, name), null);
    }

    private static string Describe(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => "token expired",
        SecurityTokenNoExpirationException => "token has no exp",
        SecurityTokenInvalidAlgorithmException => "token algorithm not allowed (HS256 only)",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "token signature invalid",
        SecurityTokenNotYetValidException => "token not valid yet",
        SecurityTokenInvalidIssuerException => "token issuer invalid",
        SecurityTokenInvalidAudienceException => "token audience invalid",
        SecurityTokenMalformedException or ArgumentException => "token malformed",
        _ => "token invalid",
    };
}
