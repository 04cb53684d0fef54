using OrleansSync.Conversations;

namespace OrleansSync.Cluster;

/// <summary>
/// Where every open socket is (which node, which session, who it authenticated as), so a REST call that lands
/// on one node can place a room row for a socket held by another. Writes are batched.
/// </summary>
public interface ISocketLocations
{
    /// <summary>A socket opened on <paramref name="nodeId"/>.</summary>
    Task RegisterSocketAsync(string socketId, string nodeId);

    /// <summary>The socket authenticated: its session and identity.</summary>
    Task SetSocketSessionAsync(string socketId, string sessionId, RoomCaller identity);

    /// <summary>The socket closed.</summary>
    Task UnregisterSocketAsync(string socketId);

    /// <summary>Where the socket is, or null if no node has it open.</summary>
    Task<SocketLocation?> FindSocketAsync(string socketId, CancellationToken cancellationToken = default);
}

/// <summary>An open socket's node, session (if authenticated) and identity (if authenticated).</summary>
public sealed record SocketLocation(string SocketId, string NodeId, string? SessionId, RoomCaller? Identity);
