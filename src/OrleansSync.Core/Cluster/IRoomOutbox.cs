namespace OrleansSync.Cluster;

/// <summary>
/// Best-effort room payloads for anonymous sockets held by another node: written by the broadcasting node,
/// drained by the holding node (on a wake-up, or at its next poll). A dead node's outbox is simply dropped:
/// its sockets died with it.
/// </summary>
public interface IRoomOutbox
{
    /// <summary>Leaves one payload for each of <paramref name="sockets"/> (node, socket), in one transaction per broadcast.</summary>
    Task AppendOutboxAsync(IReadOnlyList<(string NodeId, string SocketId)> sockets, string churchId, string conversationId, byte[] frame);

    /// <summary>Takes (reads and deletes) up to <paramref name="limit"/> payloads for <paramref name="nodeId"/>, oldest first.</summary>
    Task<IReadOnlyList<OutboxPayload>> TakeOutboxAsync(string nodeId, int limit, CancellationToken cancellationToken = default);

    /// <summary>Drops a node's outbox and socket rows (it restarted or died).</summary>
    Task ForgetNodeSocketsAsync(string nodeId, CancellationToken cancellationToken = default);
}

/// <summary>One payload for one socket.</summary>
public sealed record OutboxPayload(long Id, string SocketId, string ChurchId, string ConversationId, byte[] Frame);
