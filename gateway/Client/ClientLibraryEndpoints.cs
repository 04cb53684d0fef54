using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace OrleansSync.Gateway.Client;

/// <summary>
/// Serves the browser client library (<c>clients/js/</c>, embedded in this assembly at build time, so the
/// served bytes are exactly that file) at <c>/client/orleanssync.js</c> and its types at <c>/client/orleanssync.d.ts</c>.
/// </summary>
public static class ClientLibraryEndpoints
{
    private static readonly (string Path, string Resource, string ContentType)[] Files =
    [
        ("/client/orleanssync.js", "OrleansSync.Client.orleanssync.js", "text/javascript; charset=utf-8"),
        ("/client/orleanssync.d.ts", "OrleansSync.Client.orleanssync.d.ts", "text/plain; charset=utf-8"),
    ];

    /// <summary>Maps the client library files.</summary>
    public static void MapClientLibrary(this IEndpointRouteBuilder endpoints)
    {
        foreach (var (path, resource, contentType) in Files)
        {
            var asset = EmbeddedAsset.Load(typeof(ClientLibraryEndpoints).Assembly, resource, contentType);
            endpoints.MapGet(path, asset.Serve);
        }
    }
}
