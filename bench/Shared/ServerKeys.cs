using Microsoft.Extensions.Configuration;

namespace OrleansSync.Bench.Shared;

/// <summary>The keys the bench starts every server with, under the node's configuration names (<c>Auth:SigningKey</c>, <c>Api:Key</c>).</summary>
public sealed record ServerKeys(string SigningKey, string ApiKey)
{
    /// <summary>Both keys, or null (after saying so on stderr): a bench server refuses to start without them.</summary>
    public static ServerKeys? From(IConfiguration configuration)
    {
        var signingKey = configuration["Auth:SigningKey"];
        var apiKey = configuration["Api:Key"];
        if (string.IsNullOrEmpty(signingKey) || string.IsNullOrEmpty(apiKey))
        {
            Console.Error.WriteLine("Refusing to start without Auth:SigningKey and Api:Key.");
            return null;
        }
        return new ServerKeys(signingKey, apiKey);
    }
}
