using OrleansSync.Runtime;
using OrleansSync.Storage;

namespace OrleansSync.Delivery;

/// <summary>
/// Delivers one event to one session wherever its socket is: straight into the local grain when this node
/// owns the session and its socket is attached, otherwise into the session's durable inbox (and a wake-up
/// for the owning node, if another node owns it). Used by user fan-out and by rooms.
/// </summary>
public sealed class SessionRouter(Lazy<GrainDirectory<SessionGrain>> sessions, ISessionStore store, string nodeId)
{
    /// <summary>This node's id.</summary>
    public string NodeId => nodeId;

    /// <summary>
    /// Hands a local session inbox events waiting for it (the grain skips those it handled): the node's drains,
    /// and a publish that must reach the socket after them.
    /// </summary>
    public ValueTask<int> CatchUpAsync(string sessionId, IReadOnlyList<InboxEvent> waiting) =>
        sessions.Value.CallAsync(sessionId, waiting, static (session, events) => session.AcceptInboxAsync(events));

    /// <summary>Routes the event; the returned task completes when it is durable.</summary>
    public async ValueTask<Task> RouteAsync(string sessionId, string? ownerNode, string eventId, byte[] frame)
    {
        if (ownerNode == nodeId)
        {
            var result = await sessions.Value.CallAsync(sessionId, (eventId, frame),
                static (session, e) => session.EnqueueAsync(e.eventId, e.frame)).ConfigureAwait(false);
            if (result.Outcome != EnqueueOutcome.NotAttached)
            {
                return result.Durable;
            }
        }
        return store.AppendInboxAsync(sessionId, eventId, frame, wakeNode: ownerNode is not null && ownerNode != nodeId ? ownerNode : null);
    }
}
