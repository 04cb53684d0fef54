using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSync.Delivery;
using OrleansSync.Diagnostics;
using OrleansSync.Gateway.Auth;

namespace OrleansSync.Gateway.Sockets;

/// <summary>The <c>/ws</c> endpoint: checks the origin, accepts the upgrade and serves the socket.</summary>
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
        var services = context.RequestServices;
        var options = services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        if (!OriginAllowed(context.Request.Headers.Origin.ToString(), options.AllowedOrigins))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsync("Origin not allowed.");
            return;
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = options.KeepAliveInterval,
            KeepAliveTimeout = options.KeepAliveTimeout > TimeSpan.Zero ? options.KeepAliveTimeout : Timeout.InfiniteTimeSpan,
        });
        var connection = new SocketConnection(socket, services.GetRequiredService<SessionService>(),
            services.GetRequiredService<TokenValidator>(), options, services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILoggerFactory>().CreateLogger<SocketConnection>(), services.GetRequiredService<SyncMetrics>());
        var registry = services.GetRequiredService<SocketRegistry>();
        registry.Add(connection);
        connection.Authenticated += registry.Authenticated;
        try
        {
            await connection.RunAsync(services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
        }
        finally
        {
            await registry.RemoveAsync(connection);
        }
    }

    private static bool OriginAllowed(string origin, string[] allowed) =>
        allowed.Length == 0 || string.IsNullOrEmpty(origin) || allowed.Contains(origin, StringComparer.OrdinalIgnoreCase);
}
