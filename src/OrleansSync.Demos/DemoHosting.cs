using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OrleansSync.Cluster;
using OrleansSync.Demos.Photos;
using OrleansSync.Gateway.Client;

namespace OrleansSync.Demos;

/// <summary>Adds the demo applications to a node: <c>/demo/photos</c>, <c>/demo/chat</c> and their APIs.</summary>
public static partial class DemoHosting
{
    private const string EnabledKey = $"{DemoOptions.SectionName}:{nameof(DemoOptions.Enabled)}";
    private static readonly string[] Assets = ["demo.css", "photos.js", "chat.js"];

    /// <summary>Registers the demo services (no-op when the demos are off, see <see cref="DemoOptions.Enabled"/>).</summary>
    public static WebApplicationBuilder AddOrleansSyncDemos(this WebApplicationBuilder builder)
    {
        if (IsEnabled(builder.Configuration, builder.Environment))
        {
            builder.Services.AddSingleton<PhotoStore>();
        }
        return builder;
    }

    /// <summary>Maps the demo pages and APIs (no-op when the demos are off or the node has no gateway role).</summary>
    public static void MapOrleansSyncDemos(this WebApplication app)
    {
        if (!IsEnabled(app.Configuration, app.Environment))
        {
            Log.DemosOff(app.Logger, app.Environment.EnvironmentName, app.Configuration[EnabledKey] ?? "unset");
            return;
        }
        // The pages talk to this node's /ws, so they belong with the gateway role.
        if (!app.Services.GetRequiredService<NodeRoles>().Gateway)
        {
            return;
        }
        var assembly = typeof(DemoHosting).Assembly;
        MapPage(app, "/demo/photos", "photos.html");
        MapPage(app, "/demo/chat", "chat.html");
        MapPage(app, "/demo", "index.html");
        foreach (var name in Assets)
        {
            var asset = EmbeddedAsset.Load(assembly, "OrleansSync.Demos.wwwroot." + name, EmbeddedAsset.ContentTypeOf(name));
            app.MapGet("/demo/assets/" + name, asset.Serve);
        }
        app.MapPhotoApi();
        Log.DemosOn(app.Logger);

        static void MapPage(IEndpointRouteBuilder endpoints, string path, string file)
        {
            var asset = EmbeddedAsset.Load(typeof(DemoHosting).Assembly, "OrleansSync.Demos.wwwroot." + file, EmbeddedAsset.ContentTypeOf(file));
            endpoints.MapGet(path, (HttpContext context) => asset.Serve(context));
        }
    }

    /// <summary><c>Demos:Enabled</c> if set, else on in Development only.</summary>
    private static bool IsEnabled(IConfiguration configuration, IHostEnvironment environment) =>
        configuration.GetValue<bool?>(EnabledKey) ?? environment.IsDevelopment();
}
