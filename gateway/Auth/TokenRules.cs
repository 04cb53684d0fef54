using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OrleansSync.Gateway.Auth;

/// <summary>
/// The one definition of a valid token, built once from <see cref="AuthOptions"/>: HS256 only, a signature by the
/// configured key, <c>exp</c> required, issuer and audience when configured, <see cref="AuthOptions.ClockSkew"/>.
/// The socket's <c>auth</c> frame (<see cref="TokenValidator"/>) and the REST routes' JwtBearer handler
/// (<see cref="BearerAuthentication"/>) both validate with these very parameters and this handler, so the two
/// doors cannot drift apart.
/// </summary>
public sealed class TokenRules
{
    /// <summary>Longest token accepted (characters); a JWT of this project's few claims is a few hundred.</summary>
    public const int MaxTokenLength = 8192;

    /// <summary>Builds the parameters and the handler from <paramref name="options"/>.</summary>
    public TokenRules(IOptions<AuthOptions> options)
    {
        var auth = options.Value;
        Parameters = new TokenValidationParameters
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

    /// <summary>What a token must satisfy.</summary>
    public TokenValidationParameters Parameters { get; }

    /// <summary>
    /// The handler that reads tokens. Claims keep their JWT names (<c>sub</c> stays <c>sub</c>, not the long
    /// WS-Federation URI), which is what <see cref="TokenUser.From"/> reads.
    /// </summary>
    public JsonWebTokenHandler Handler { get; } = new() { MapInboundClaims = false, MaximumTokenSizeInBytes = MaxTokenLength };

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
}
