namespace OrleansSync.Delivery;

/// <summary>
/// Hands a copy of an event straight to the node that owns the session (a cluster), instead of through the
/// session's inbox in the store: the owner queues it like one of its own publishes, so the copy costs the store
/// what a local copy costs. Never required for correctness: whenever it answers false the caller uses the inbox.
/// </summary>
public interface IPeerDelivery
{
    /// <summary>
    /// Hands one event to <paramref name="ownerNode"/> for several of its sessions at once (a publish's copies for one
    /// node travel and are answered together). Element i of the result is true once the owner has the event durably
    /// queued for <paramref name="sessionIds"/>[i], false when it could not take it (unknown or unreachable node,
    /// session not attached there, an error): the caller then writes that session's inbox. The copies are queued
    /// for the node before this returns, so copies handed over one after another keep their order.
    /// </summary>
    Task<bool[]> TryDeliverAsync(string ownerNode, string eventId, byte[] frame, IReadOnlyList<string> sessionIds);
}
