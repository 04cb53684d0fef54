using System.Security.Cryptography;
using System.Text;

namespace OrleansSync.Bench.Shared;

/// <summary>The publish route's <c>X-Api-Key</c> check, as the node does it: constant-time, over SHA-256 hashes.</summary>
public sealed class ApiKeyCheck(string apiKey)
{
    private readonly byte[] _expectedHash = SHA256.HashData(Encoding.UTF8.GetBytes(apiKey));

    public bool Matches(string? given) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given ?? "")), _expectedHash);
}
