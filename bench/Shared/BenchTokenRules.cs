using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace OrleansSync.Bench.Shared;

/// <summary>How the bench's .NET servers validate a token, as the node does: HS256 only, signed, <c>exp</c> required and checked.</summary>
public static class BenchTokenRules
{
    public static TokenValidationParameters For(string signingKey) => new()
    {
        IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)),
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ValidateLifetime = true,
        ValidateIssuer = false,
        ValidateAudience = false,
    };
}
