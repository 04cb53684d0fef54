using System.Collections.Concurrent;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace OrleansSync.Bench;

/// <summary>HS256 tokens (sub, exp) signed with the key both servers are started with; one per user, cached.</summary>
public sealed class BenchTokens(string signingKey)
{
    private readonly JsonWebTokenHandler _handler = new();
    private readonly SigningCredentials _credentials = new(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256);
    private readonly ConcurrentDictionary<string, string> _byUser = new(StringComparer.Ordinal);

    public string For(string userId) => _byUser.GetOrAdd(userId, user => _handler.CreateToken(new SecurityTokenDescriptor
    {
        Claims = new Dictionary<string, object> { ["sub"] = user },
        Expires = DateTime.UtcNow.AddHours(2),
        SigningCredentials = _credentials,
    }));
}
