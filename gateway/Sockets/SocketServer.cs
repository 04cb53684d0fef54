using System.Net.WebSockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSync.Delivery;
using OrleansSync.Diagnostics;
using OrleansSync.Gateway.Auth;
using OrleansSync.Protocol;

namespace OrleansSync.Gateway.Sockets;

/// <summary>
/// Serves an accepted WebSocket, however it was accepted (the direct upgrade or the ASP.NET endpoint): wraps it
/// in a <see cref="SocketConnection"/>, registers it, and runs it until it closes.
/// </summary>
public sealed class SocketServer(SessionService sessions, GatewayObserver gateway, TokenValidator tokens, IOptions<SocketGatewayOptions> options, TimeProvider time,
    ILogger<SocketConnection> logger, SyncMetrics metrics, SocketRegistry registry, IHostApplicationLifetime lifetime)
{
    // One registration for all sockets (not one per socket): a stopping host closes them with 1001.
    private readonly CancellationTokenRegistration _stopping = lifetime.ApplicationStopping.Register(
        static state => ((SocketRegistry)state!).CloseAll(CloseCodes.ServerStopping, CloseReasons.ServerStopping), registry);

    /// <summary>The gateway's options.</summary>
    public SocketGatewayOptions Options => options.Value;

    /// <summary>Keep-alive ping interval and dead-peer timeout for a new socket.</summary>
    public TimeSpan KeepAliveInterval => Options.KeepAliveInterval;

    /// <summary>Zero in configuration means no timeout.</summary>
    public TimeSpan KeepAliveTimeout => Options.KeepAliveTimeout > TimeSpan.Zero ? Options.KeepAliveTimeout : Timeout.InfiniteTimeSpan;

    internal SessionService Sessions => sessions;
    internal GatewayObserver Gateway => gateway;
    internal TokenValidator Tokens => tokens;
    internal TimeProvider Time => time;
    internal ILogger Logger => logger;
    internal SyncMetrics Metrics => metrics;
    internal SocketRegistry Registry => registry;

    /// <summary>
    /// Runs the socket until it closes; then it is unregistered (its rooms and session learn of it) and disposed.
    /// Not an async method: one state machine less per socket, for as long as the socket lives.
    /// </summary>
    public Task ServeAsync(WebSocket socket)
    {
        var connection = new SocketConnection(socket, this);
        registry.Add(connection);
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            connection.RequestClose(CloseCodes.ServerStopping, CloseReasons.ServerStopping); // accepted while stopping
        }
        return connection.RunAsync();
    }
}
