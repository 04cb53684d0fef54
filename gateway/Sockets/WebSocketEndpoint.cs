using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace OrleansSync.Gateway.Sockets;

/// <summary>
/// The <c>/ws</c> endpoint: checks the origin, accepts the upgrade and serves the socket. Upgrades that the
/// direct path (<see cref="Upgrade.DirectWebSocketUpgrade"/>) takes never reach it; it serves the rest (TLS endpoints,
/// an upgrade on a reused keep-alive connection, <c>Gateway:DirectUpgrade=false</c>).
/// </summary>
public static class WebSocketEndpoint
{
    /// <summary>Maps <c>/ws</c>.</summary>
    public static IEndpointConventionBuilder MapSyncWebSocket(this IEndpointRouteBuilder endpoints, string pattern = "/ws") =>
        endpoints.Map(pattern, ServeAsync);

    private static async Task ServeAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            await context.Response.WriteAsync("This endpoint only accepts WebSocket upgrades.");
            return;
        }
        var server = context.RequestServices.GetRequiredService<SocketServer>();
        if (!server.Options.AllowsOrigin(context.Request.Headers.Origin.ToString()))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsync("Origin not allowed.");
            return;
        }
        var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = server.KeepAliveInterval,
            KeepAliveTimeout = server.KeepAliveTimeout,
        });
        await server.ServeAsync(socket);
    }
}
