namespace OrleansSync.Delivery;

/// <summary>
/// Hands a copy of an event straight to the node that owns the session (a cluster), instead of through the
/// session's inbox in the store: the owner queues it like one of its own publishes, so the copy costs the store
/// what a local copy costs. Never required for correctness: whenever it answers false the caller uses the inbox.
/// </summary>
public interface IPeerDelivery
{
    /// <summary>
    /// True once <paramref name="ownerNode"/> has the event durably queued for the session (or knows the session will
    /// run a full sync); false when it could not take it (unknown or unreachable node, session not attached there,
    /// an error): the caller then writes the inbox.
    /// </summary>
    Task<bool> TryDeliverAsync(string ownerNode, string sessionId, string eventId, byte[] frame);
}
