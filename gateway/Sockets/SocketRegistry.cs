using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using OrleansSync.Cluster;
using OrleansSync.Conversations;
using OrleansSync.Delivery;

namespace OrleansSync.Gateway.Sockets;

/// <summary>The open sockets of this node by socket id, and what must happen when one closes.</summary>
public sealed class SocketRegistry(IOptions<NodeOptions> node, ISocketLocations locations) : ISocketDirectory
{
    private readonly ConcurrentDictionary<string, SocketConnection> _sockets = new(StringComparer.Ordinal);

    /// <summary>Called after a socket closed (rooms use it to remove the socket's connections).</summary>
    public event Func<SocketConnection, Task>? SocketClosed;

    /// <summary>Open sockets on this node.</summary>
    public int Count => _sockets.Count;

    /// <summary>The open socket with this id, if it is on this node.</summary>
    public SocketConnection? Find(string socketId) => _sockets.GetValueOrDefault(socketId);

    /// <inheritdoc />
    public string NodeId => node.Value.Id!;

    /// <inheritdoc />
    public bool TryGetSocket(string socketId, out ISessionObserver socket, out string? sessionId)
    {
        if (_sockets.TryGetValue(socketId, out var connection))
        {
            socket = connection;
            sessionId = connection.SessionId;
            return true;
        }
        socket = null!;
        sessionId = null;
        return false;
    }

    /// <inheritdoc />
    public bool TryGetIdentity(string socketId, out RoomCaller identity)
    {
        if (_sockets.TryGetValue(socketId, out var connection) && connection.User is { } user)
        {
            identity = new RoomCaller(user.ChurchId, user.PersonId, user.DisplayName);
            return true;
        }
        identity = null!;
        return false;
    }

    /// <inheritdoc />
    public IReadOnlyList<string> AttachedSessionIds()
    {
        var attached = new List<string>();
        foreach (var connection in _sockets.Values)
        {
            if (connection.SessionId is { } sessionId)
            {
                attached.Add(sessionId);
            }
        }
        return attached;
    }

    /// <inheritdoc />
    public IReadOnlyList<(string SessionId, ISessionObserver Socket)> SocketsOfSessions(IReadOnlySet<string> sessionIds)
    {
        var found = new List<(string, ISessionObserver)>();
        foreach (var connection in _sockets.Values)
        {
            if (connection.SessionId is { } sessionId && sessionIds.Contains(sessionId))
            {
                found.Add((sessionId, connection));
            }
        }
        return found;
    }

    /// <summary>Starts closing every open socket with <paramref name="code"/> (the host is stopping).</summary>
    internal void CloseAll(System.Net.WebSockets.WebSocketCloseStatus code, string reason)
    {
        foreach (var connection in _sockets.Values)
        {
            connection.RequestClose(code, reason);
        }
    }

    internal void Add(SocketConnection connection)
    {
        _sockets[connection.SocketId] = connection;
        connection.Registered = locations.RegisterSocketAsync(connection.SocketId, NodeId);
    }

    /// <summary>The socket authenticated: other nodes can now find its session (rooms route to it reliably).</summary>
    internal void Authenticated(SocketConnection connection)
    {
        if (connection is { SessionId: { } sessionId, User: { } user })
        {
            _ = locations.SetSocketSessionAsync(connection.SocketId, sessionId, new RoomCaller(user.ChurchId, user.PersonId, user.DisplayName));
        }
    }

    internal async Task RemoveAsync(SocketConnection connection)
    {
        _sockets.TryRemove(new KeyValuePair<string, SocketConnection>(connection.SocketId, connection));
        // Unregistered before the rooms hear of it: once attendance drops the socket, no node accepts its id any more.
        try
        {
            await locations.UnregisterSocketAsync(connection.SocketId).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The store failed: the rooms still drop the socket; its stale row only makes later calls for it no-ops.
        }
        if (SocketClosed is { } handlers)
        {
            foreach (var handler in handlers.GetInvocationList().Cast<Func<SocketConnection, Task>>())
            {
                await handler(connection).ConfigureAwait(false);
            }
        }
    }
}
