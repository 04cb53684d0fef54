using System.Collections.Concurrent;

namespace OrleansSync.Gateway.Sockets;

/// <summary>The open sockets of this node by socket id, and what must happen when one closes.</summary>
public sealed class SocketRegistry
{
    private readonly ConcurrentDictionary<string, SocketConnection> _sockets = new(StringComparer.Ordinal);

    /// <summary>Called after a socket closed (rooms use it to remove the socket's connections).</summary>
    public event Func<SocketConnection, Task>? SocketClosed;

    /// <summary>Open sockets on this node.</summary>
    public int Count => _sockets.Count;

    /// <summary>The open socket with this id, if it is on this node.</summary>
    public SocketConnection? Find(string socketId) => _sockets.GetValueOrDefault(socketId);

    internal void Add(SocketConnection connection) => _sockets[connection.SocketId] = connection;

    internal async Task RemoveAsync(SocketConnection connection)
    {
        _sockets.TryRemove(new KeyValuePair<string, SocketConnection>(connection.SocketId, connection));
        if (SocketClosed is { } handlers)
        {
            foreach (var handler in handlers.GetInvocationList().Cast<Func<SocketConnection, Task>>())
            {
                await handler(connection).ConfigureAwait(false);
            }
        }
    }
}
