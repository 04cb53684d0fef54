using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using OrleansSync.Cluster;
using OrleansSync.Delivery;

namespace OrleansSync.Gateway.Sockets;

/// <summary>
/// This gateway process as grains see it: one <see cref="IGatewayObserver"/> for all its sockets, frames addressed by
/// socket id. One reference per process rather than one per socket: nothing to create or delete per connection, and
/// rooms and sessions name a socket the same way (gateway + socket id). Orleans holds local observers weakly; this
/// singleton keeps the object alive for the life of the process.
/// </summary>
public sealed class GatewayObserver(SocketRegistry sockets, IGrainFactory grains, IOptions<NodeOptions> node, LocalGateway local) : IGatewayObserver
{
    private readonly string _nodeId = node.Value.Id ?? throw new InvalidOperationException("Node:Id is not set.");
    private IGatewayObserver? _reference;

    /// <summary>How a session grain reaches the socket <paramref name="socketId"/> of this gateway.</summary>
    public SocketLink LinkFor(string socketId) => new(_reference ?? MakeReference(), socketId, _nodeId);

    private IGatewayObserver MakeReference()
    {
        var reference = grains.CreateObjectReference<IGatewayObserver>(this); // a race makes two equal references: harmless
        local.Register(this, reference); // grains in this process call this object directly (LocalGateway says why)
        return _reference = reference;
    }

    /// <inheritdoc />
    public Task SessionOpened(string socketId, SessionOpened opened)
    {
        sockets.Find(socketId)?.OnSessionOpened(opened);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task Send(string socketId, long order, Immutable<byte[]> utf8Frame)
    {
        sockets.Find(socketId)?.SendFromSession(order, utf8Frame.Value); // a socket gone meanwhile: its session replays on resume
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task Close(string socketId, SessionCloseReason reason)
    {
        sockets.Find(socketId)?.Close(reason);
        return Task.CompletedTask;
    }
}
