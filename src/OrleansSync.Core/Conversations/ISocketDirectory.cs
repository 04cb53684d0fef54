using OrleansSync.Delivery;

namespace OrleansSync.Conversations;

/// <summary>How a room finds the sockets of its connection rows (the gateway implements it). No sockets here: observers only.</summary>
public interface ISocketDirectory
{
    /// <summary>Id of this node, stored on connection rows so a cluster knows whose sockets they are.</summary>
    string NodeId { get; }

    /// <summary>
    /// The observer of an open socket on this node, and its attached session if the socket authenticated
    /// (room payloads then travel through that session's reliable queue).
    /// </summary>
    bool TryGetSocket(string socketId, out ISessionObserver socket, out string? sessionId);

    /// <summary>Sessions attached to open sockets of this node.</summary>
    IReadOnlyList<string> AttachedSessionIds();

    /// <summary>The open sockets of this node attached to any of <paramref name="sessionIds"/>, with their session (one pass).</summary>
    IReadOnlyList<(string SessionId, ISessionObserver Socket)> SocketsOfSessions(IReadOnlySet<string> sessionIds);

    /// <summary>Who an open socket on this node authenticated as (via <c>auth</c>), if it did.</summary>
    bool TryGetIdentity(string socketId, out RoomCaller identity);
}
