using System.Net.WebSockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSync.Delivery;
using OrleansSync.Diagnostics;
using OrleansSync.Gateway.Auth;

namespace OrleansSync.Gateway.Sockets;

/// <summary>
/// Serves an accepted WebSocket, however it was accepted (the direct upgrade or the ASP.NET endpoint): wraps it
/// in a <see cref="SocketConnection"/>, registers it, and runs it until it closes.
/// </summary>
public sealed class SocketServer(SessionService sessions, TokenValidator tokens, IOptions<GatewayOptions> options, TimeProvider time,
    ILogger<SocketConnection> logger, SyncMetrics metrics, SocketRegistry registry, IHostApplicationLifetime lifetime)
{
    // One registration for all sockets (not one per socket): a stopping host closes them with 1001.
    private readonly CancellationTokenRegistration _stopping = lifetime.ApplicationStopping.Register(
        static state => ((SocketRegistry)state!).CloseAll(WebSocketCloseStatus.EndpointUnavailable, "server_stopping"), registry);

    /// <summary>The gateway's options.</summary>
    public GatewayOptions Options => options.Value;

    /// <summary>Keep-alive ping interval and dead-peer timeout for a new socket.</summary>
    public TimeSpan KeepAliveInterval => Options.KeepAliveInterval;

    /// <summary>Zero in configuration means no timeout.</summary>
    public TimeSpan KeepAliveTimeout => Options.KeepAliveTimeout > TimeSpan.Zero ? Options.KeepAliveTimeout : Timeout.InfiniteTimeSpan;

    /// <summary>Runs the socket until it closes, then unregisters it (its rooms and session learn of it).</summary>
    public async Task ServeAsync(WebSocket socket)
    {
        var connection = new SocketConnection(socket, sessions, tokens, Options, time, logger, metrics);
        registry.Add(connection);
        connection.Authenticated += registry.Authenticated;
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            connection.RequestClose(WebSocketCloseStatus.EndpointUnavailable, "server_stopping"); // accepted while stopping
        }
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            await registry.RemoveAsync(connection).ConfigureAwait(false);
        }
    }
}
