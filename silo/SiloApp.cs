using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using OrleansSync.Demos;
using OrleansSync.Gateway.Auth;
using OrleansSync.Gateway.Hosting;
using OrleansSync.Gateway.Publishing;

namespace OrleansSync.Silo;

/// <summary>Builds a node from arguments and configuration. Tests build it in-process on a loopback port.</summary>
public static class SiloApp
{
    /// <summary>Default listening address when neither <c>--urls</c> nor <c>ASPNETCORE_URLS</c> is given.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Development-only signing key (never used when <c>Auth:SigningKey</c> is configured).</summary>
    public const string DevelopmentSigningKey = "orleanssync-development-signing-key-not-for-production";

    /// <summary>Development-only API key (never used when <c>Api:Key</c> is configured).</summary>
    public const string DevelopmentApiKey = "dev-api-key";

    /// <summary>Builds the node, ready to <c>RunAsync</c> / <c>StartAsync</c>.</summary>
    public static async Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        ApplyKeys(builder);
        builder.AddOrleansSync();
        builder.AddOrleansSyncDemos();
        configure?.Invoke(builder);
        var app = builder.Build();
        await app.UseOrleansSyncAsync();
        app.MapOrleansSyncDemos();
        return app;
    }

    /// <summary>
    /// Outside Development the keys must be configured; in Development missing keys get documented defaults,
    /// announced in the log so nobody mistakes them for real ones.
    /// </summary>
    private static void ApplyKeys(WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var signingKey = configuration[$"{AuthOptions.SectionName}:{nameof(AuthOptions.SigningKey)}"];
        var apiKey = configuration[$"{ApiOptions.SectionName}:{nameof(ApiOptions.Key)}"];
        if (!builder.Environment.IsDevelopment())
        {
            var missing = new List<string>();
            if (string.IsNullOrWhiteSpace(signingKey)) missing.Add("Auth:SigningKey (at least 32 bytes)");
            if (string.IsNullOrWhiteSpace(apiKey)) missing.Add("Api:Key");
            if (missing.Count > 0)
            {
                throw new InvalidOperationException(
                    $"Refusing to start in the {builder.Environment.EnvironmentName} environment without {string.Join(" and ", missing)}. " +
                    "Set them in appsettings, the environment (Auth__SigningKey, Api__Key) or the command line, " +
                    "or run with ASPNETCORE_ENVIRONMENT=Development to use the development keys.");
            }
            return;
        }
        var defaults = new Dictionary<string, string?>();
        if (string.IsNullOrWhiteSpace(signingKey)) defaults["Auth:SigningKey"] = DevelopmentSigningKey;
        if (string.IsNullOrWhiteSpace(apiKey)) defaults["Api:Key"] = DevelopmentApiKey;
        if (defaults.Count > 0)
        {
            configuration.AddInMemoryCollection(defaults);
            Console.WriteLine($"Development keys in use: {string.Join(", ", defaults.Select(d => $"{d.Key}={d.Value}"))}. " +
                "Tokens: GET /dev/token?sub=alice");
        }
    }
}
