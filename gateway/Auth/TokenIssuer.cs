using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OrleansSync.Gateway.Auth;

/// <summary>Issues HS256 tokens with the configured key: for the Development token endpoint, demos and tests.</summary>
public sealed class TokenIssuer(IOptions<AuthOptions> options, TimeProvider time)
{
    private readonly SigningCredentials _credentials = new(TokenRules.SigningKey(options.Value), SecurityAlgorithms.HmacSha256);

    /// <summary>A token for <paramref name="userId"/> valid for <paramref name="lifetime"/>.</summary>
    public string Issue(string userId, TimeSpan lifetime, string? churchId = null, string? personId = null, string? name = null)
    {
        var claims = new Dictionary<string, object> { ["sub"] = userId };
        if (!string.IsNullOrEmpty(churchId)) claims["churchId"] = churchId;
        if (!string.IsNullOrEmpty(personId)) claims["personId"] = personId;
        if (!string.IsNullOrEmpty(name)) claims["name"] = name;
        var now = time.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            Issuer = options.Value.Issuer,
            Audience = options.Value.Audience,
            SigningCredentials = _credentials,
        });
    }
}
