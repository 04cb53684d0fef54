using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OrleansSync.Gateway.Auth;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>Tokens signed with the key test nodes are configured with (and a few broken ones).</summary>
public static class TestTokens
{
    public const string SigningKey = "test-signing-key-0123456789abcdef-0123456789";
    public const string ApiKey = "test-api-key";

    private static readonly TokenIssuer Issuer = new(Options.Create(new AuthOptions { SigningKey = SigningKey }), TimeProvider.System);

    public static string For(string userId, string? churchId = null, string? personId = null, string? name = null) =>
        Issuer.Issue(userId, TimeSpan.FromMinutes(10), churchId, personId, name);

    public static string Expired(string userId)
    {
        var past = DateTime.UtcNow.AddHours(-2);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object> { ["sub"] = userId },
            IssuedAt = past,
            NotBefore = past,
            Expires = past.AddMinutes(5),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(SigningKey)), SecurityAlgorithms.HmacSha256),
        });
    }

    public static string SignedWithOtherKey(string userId) =>
        new TokenIssuer(Options.Create(new AuthOptions { SigningKey = "another-key-0123456789abcdef-0123456789abc" }), TimeProvider.System)
            .Issue(userId, TimeSpan.FromMinutes(10));

    /// <summary>An <c>alg: none</c> token: header and claims, no signature.</summary>
    public static string Unsigned(string userId)
    {
        static string B64(string json) => Base64UrlEncoder.Encode(json);
        var exp = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds();
        return $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{B64($"{{\"sub\":\"{userId}\",\"exp\":{exp}}}")}.";
    }
}
