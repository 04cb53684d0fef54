using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
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
    /// Builds and starts the node. A silo port picked at start (<c>Orleans:SiloPort</c> 0, the default) is free when picked
    /// but can be taken by another process before the silo binds it; the node is then built again on another free port,
    /// up to <see cref="StartAttempts"/> times. A port set in configuration is not retried.
    /// </summary>
    public static async Task<WebApplication> StartAsync(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var app = await BuildAsync(args, configure);
            try
            {
                await app.StartAsync();
                return app;
            }
            catch (Exception exception) when (attempt < StartAttempts && SiloPortTaken(app, exception))
            {
                Console.Error.WriteLine($"The silo port picked at start was taken meanwhile; starting again on another (attempt {attempt + 1}).");
                await app.DisposeAsync();
            }
        }
    }

    /// <summary>How often <see cref="StartAsync"/> tries when the picked silo port is taken.</summary>
    public const int StartAttempts = 5;

    private static bool SiloPortTaken(WebApplication app, Exception exception)
    {
        var pinned = app.Configuration.GetValue($"{SiloOptions.SectionName}:{nameof(SiloOptions.SiloPort)}", 0) > 0;
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is Microsoft.AspNetCore.Connections.AddressInUseException or System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse })
            {
                return !pinned;
            }
        }
        return false;
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
