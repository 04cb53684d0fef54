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

    public static string Expired(string userId) => ExpiredFor(userId, TimeSpan.FromMinutes(115));

    /// <summary>A token of the test key whose <c>exp</c> passed <paramref name="ago"/> before now.</summary>
    public static string ExpiredFor(string userId, TimeSpan ago)
    {
        var expires = DateTime.UtcNow - ago;
        return Create(new Dictionary<string, object> { ["sub"] = userId }, expires.AddMinutes(-5), expires, TestKey());
    }

    /// <summary>A token of the test key for <paramref name="userId"/> with the given <c>iss</c> and <c>aud</c>.</summary>
    public static string WithIssuer(string userId, string? issuer, string? audience) =>
        new TokenIssuer(Options.Create(new AuthOptions { SigningKey = SigningKey, Issuer = issuer, Audience = audience }), TimeProvider.System)
            .Issue(userId, TimeSpan.FromMinutes(10));

    /// <summary>A valid token of the test key whose claims name no user (no <c>sub</c>).</summary>
    public static string WithoutSubject() =>
        Create(new Dictionary<string, object> { ["name"] = "nobody" }, DateTime.UtcNow, DateTime.UtcNow.AddMinutes(10), TestKey());

    /// <summary>
    /// A token signed RS256 with an RSA key of its own: the shape of a token from another issuer, or of an
    /// algorithm-confusion attempt against a server that would pick the algorithm from the header.
    /// </summary>
    public static string Rs256(string userId)
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        return Create(new Dictionary<string, object> { ["sub"] = userId }, DateTime.UtcNow, DateTime.UtcNow.AddMinutes(10),
            new SigningCredentials(new RsaSecurityKey(rsa.ExportParameters(includePrivateParameters: true)), SecurityAlgorithms.RsaSha256));
    }

    private static SigningCredentials TestKey() =>
        new(new SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(SigningKey)), SecurityAlgorithms.HmacSha256);

    private static string Create(Dictionary<string, object> claims, DateTime notBefore, DateTime expires, SigningCredentials credentials) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            IssuedAt = notBefore,
            NotBefore = notBefore,
            Expires = expires,
            SigningCredentials = credentials,
        });

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
