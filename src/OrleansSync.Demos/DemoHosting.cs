using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OrleansSync.Cluster;
using OrleansSync.Demos.Photos;
using OrleansSync.Gateway.Client;

namespace OrleansSync.Demos;

/// <summary>Adds the demo applications to a node: <c>/demo/photos</c>, <c>/demo/chat</c> and their APIs.</summary>
public static class DemoHosting
{
    private static readonly string[] Assets = ["demo.css", "photos.js", "chat.js"];

    /// <summary>Registers the demo services (no-op when <c>Demos:Enabled</c> is false).</summary>
    public static WebApplicationBuilder AddOrleansSyncDemos(this WebApplicationBuilder builder)
    {
        if (IsEnabled(builder.Configuration))
        {
            builder.Services.AddSingleton<PhotoStore>();
        }
        return builder;
    }

    /// <summary>Maps the demo pages and APIs (no-op when <c>Demos:Enabled</c> is false or the node has no gateway role).</summary>
    public static void MapOrleansSyncDemos(this WebApplication app)
    {
        // The pages talk to this node's /ws, so they belong with the gateway role.
        if (!IsEnabled(app.Configuration) || !app.Services.GetRequiredService<NodeRoles>().Gateway)
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

        static void MapPage(IEndpointRouteBuilder endpoints, string path, string file)
        {
            var asset = EmbeddedAsset.Load(typeof(DemoHosting).Assembly, "OrleansSync.Demos.wwwroot." + file, EmbeddedAsset.ContentTypeOf(file));
            endpoints.MapGet(path, (HttpContext context) => asset.Serve(context));
        }
    }

    private static bool IsEnabled(IConfiguration configuration) =>
        configuration.GetValue($"{DemoOptions.SectionName}:{nameof(DemoOptions.Enabled)}", true);
}
