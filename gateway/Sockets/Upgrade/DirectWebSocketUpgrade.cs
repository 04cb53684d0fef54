using System.Net.WebSockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansSync.Gateway.Sockets.Upgrade;

/// <summary>
/// Connection middleware that answers a plain-HTTP <c>/ws</c> upgrade itself and runs the WebSocket straight on
/// Kestrel's transport. ASP.NET's request pipeline keeps a request, its headers, a context, a DI scope, a log
/// scope and an activity alive for as long as an upgraded socket lives (about 6 KB each, measured); here only
/// the connection and the WebSocket remain. Every other connection (other requests, TLS, HTTP/2, anything the
/// strict <see cref="UpgradeRequest"/> reader does not fully understand, a forbidden origin) is handed to
/// Kestrel's HTTP untouched, and the <c>/ws</c> endpoint answers it exactly as before. With an <c>AllowedHosts</c>
/// list configured every connection goes to ASP.NET, whose host filtering then sees every request.
/// </summary>
public static partial class DirectWebSocketUpgrade
{
    /// <summary>Adds the direct upgrade in front of an endpoint's HTTP handling.</summary>
    public static void UseDirectWebSocketUpgrade(this ListenOptions listen)
    {
        var services = listen.ApplicationServices;
        listen.Use(next => connection => ServeOrPassAsync(connection, next, services));
    }

    private static async Task ServeOrPassAsync(ConnectionContext connection, ConnectionDelegate next, IServiceProvider services)
    {
        var server = services.GetRequiredService<SocketServer>();
        var limits = services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits;
        if (!AnyHostAllowed(services) || limits.MaxConcurrentUpgradedConnections is not null)
        {
            // Host filtering, or a cap on upgraded connections, must see every request: ASP.NET handles them all.
            await next(connection).ConfigureAwait(false);
            return;
        }
        var (verdict, accepted) = await ReadUpgradeAsync(connection, server, limits).ConfigureAwait(false);
        if (verdict == HeadVerdict.Pass)
        {
            await next(connection).ConfigureAwait(false);
            return;
        }
        if (verdict == HeadVerdict.Closed)
        {
            return;
        }
        await connection.Transport.Output.WriteAsync(accepted!).ConfigureAwait(false);
        // Like Kestrel's own upgrades, a WebSocket no longer counts against Kestrel:Limits:MaxConcurrentConnections.
        connection.Features.Get<IDecrementConcurrentConnectionCountFeature>()?.ReleaseConnection();
        var socket = WebSocket.CreateFromStream(new DuplexPipeStream(connection.Transport), new WebSocketCreationOptions
        {
            IsServer = true,
            KeepAliveInterval = server.KeepAliveInterval,
            KeepAliveTimeout = server.KeepAliveTimeout,
        });
        await server.ServeAsync(socket).ConfigureAwait(false);
    }

    private static bool AnyHostAllowed(IServiceProvider services) =>
        services.GetRequiredService<IOptions<HostFilteringOptions>>().Value.AllowedHosts is not { Count: > 0 } hosts || hosts.Contains("*");

    /// <summary>
    /// Reads the request head. An upgrade that is ours is consumed and its 101 answer returned; anything else
    /// returns null with every byte left unread for Kestrel's HTTP (a forbidden origin too: the endpoint answers
    /// it 403). Time limits are Kestrel's own: <c>KeepAliveTimeout</c> until the first byte, then
    /// <c>RequestHeadersTimeout</c> for the whole head; past them the connection is closed, as Kestrel would.
    /// </summary>
    private static async Task<(HeadVerdict Verdict, byte[]? SwitchingProtocols)> ReadUpgradeAsync(ConnectionContext connection, SocketServer server,
        KestrelServerLimits limits)
    {
        var input = connection.Transport.Input;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        CancelAfter(deadline, limits.KeepAliveTimeout);
        var started = false;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(deadline.Token).ConfigureAwait(false);
                if (!started && !result.Buffer.IsEmpty)
                {
                    started = true;
                    CancelAfter(deadline, limits.RequestHeadersTimeout);
                }
                var request = UpgradeRequest.Read(result.Buffer);
                if (request.Verdict == UpgradeVerdict.Incomplete && !result.IsCompleted)
                {
                    input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                    continue;
                }
                var ours = request.Verdict == UpgradeVerdict.Ours && server.Options.AllowsOrigin(request.Origin);
                input.AdvanceTo(ours ? result.Buffer.GetPosition(request.HeadLength) : result.Buffer.Start);
                return ours ? (HeadVerdict.Upgrade, request.SwitchingProtocols()) : (HeadVerdict.Pass, null);
            }
        }
        catch (OperationCanceledException)
        {
            connection.Abort(new ConnectionAbortedException("No whole request head in time."));
            return (HeadVerdict.Closed, null);
        }
        catch (IOException)
        {
            return (HeadVerdict.Closed, null); // reset by the peer before a whole head: nothing to answer, nothing to log
        }
    }

    /// <summary>Kestrel stores "no limit" as <see cref="TimeSpan.MaxValue"/>, which a timer cannot take.</summary>
    private static void CancelAfter(CancellationTokenSource source, TimeSpan limit)
    {
        if (limit > TimeSpan.Zero && limit.TotalMilliseconds < uint.MaxValue - 1)
        {
            source.CancelAfter(limit);
        }
    }

    private enum HeadVerdict
    {
        Upgrade,
        Pass,
        Closed,
    }
}
