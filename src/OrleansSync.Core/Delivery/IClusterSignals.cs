namespace OrleansSync.Delivery;

/// <summary>
/// Wake-ups between nodes (PostgreSQL <c>LISTEN/NOTIFY</c> in a cluster; nothing on a single node). Inbox
/// wake-ups travel with the inbox write itself (<see cref="Storage.ISessionStore.AppendInboxAsync"/>).
/// Only ever a hint: every node also polls for what a lost wake-up would have told it.
/// </summary>
public interface IClusterSignals
{
    /// <summary>A session owned by <paramref name="previousOwner"/> was claimed by another node: its socket must close.</summary>
    void SessionClaimed(string previousOwner, string sessionId);

    /// <summary>A best-effort room payload waits in <paramref name="nodeId"/>'s outbox.</summary>
    void OutboxChanged(string nodeId);

    /// <summary>
    /// A copy for a session whose socket <paramref name="ownerNode"/> holds found the session's grain not attached: the
    /// grain may have died with its silo while the socket stayed open. That node checks, and closes such a socket.
    /// </summary>
    void SessionMayBeOrphaned(string ownerNode, string sessionId);
}

/// <summary>A single node has nobody to wake.</summary>
public sealed class NoClusterSignals : IClusterSignals
{
    /// <inheritdoc />
    public void SessionClaimed(string previousOwner, string sessionId) { }

    /// <inheritdoc />
    public void OutboxChanged(string nodeId) { }

    /// <inheritdoc />
    public void SessionMayBeOrphaned(string ownerNode, string sessionId) { } // one process: grain and socket live and die together
}
