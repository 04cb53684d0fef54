using OrleansSync.Runtime;
using OrleansSync.Storage;

namespace OrleansSync.Delivery;

/// <summary>
/// Delivers one event to one session wherever its socket is: straight into the local grain when this node
/// owns the session and its socket is attached; to the owning node directly when the caller allows it and
/// <see cref="IPeerDelivery"/> succeeds; otherwise into the session's durable inbox (and a wake-up for the owning
/// node, if another node owns it). Used by user fan-out and by rooms.
/// </summary>
public sealed class SessionRouter(Lazy<GrainDirectory<SessionGrain>> sessions, ISessionStore store, string nodeId, IPeerDelivery? peers = null)
{
    /// <summary>This node's id.</summary>
    public string NodeId => nodeId;

    /// <summary>
    /// Hands a local session inbox events waiting for it (the grain skips those it handled): the node's drains,
    /// and a publish that must reach the socket after them.
    /// </summary>
    public ValueTask<int> CatchUpAsync(string sessionId, IReadOnlyList<InboxEvent> waiting) =>
        sessions.Value.CallAsync(sessionId, waiting, static (session, events) => session.AcceptInboxAsync(events));

    /// <summary>Routes the event through this node or the inbox; the result's task completes when it is durable.</summary>
    public async ValueTask<RouteResult> RouteAsync(string sessionId, string? ownerNode, string eventId, byte[] frame)
    {
        if (ownerNode == nodeId)
        {
            var result = await EnqueueHereAsync(sessionId, eventId, frame).ConfigureAwait(false);
            if (result.Outcome != EnqueueOutcome.NotAttached)
            {
                return new RouteResult(result.Durable, ViaInbox: false);
            }
        }
        return new RouteResult(store.AppendInboxAsync(sessionId, eventId, frame, wakeNode: ownerNode is not null && ownerNode != nodeId ? ownerNode : null),
            ViaInbox: true);
    }

    /// <summary>True if copies for sessions of <paramref name="ownerNode"/> can go to it directly (<see cref="PushAsync"/>).</summary>
    public bool CanPushTo(string? ownerNode) => peers is not null && ownerNode is not null && ownerNode != nodeId;

    /// <summary>
    /// Hands the event to <paramref name="ownerNode"/> for several of its sessions in one piece (see
    /// <see cref="IPeerDelivery"/>); a session the owner does not take gets it in its inbox. The copies are queued
    /// for the owner before this returns; the task completes when every copy is durable. Only for sessions whose
    /// inbox held nothing when the publish began: a direct copy must not overtake an earlier event waiting there.
    /// The task's result says whether any copy went to an inbox.
    /// </summary>
    public Task<bool> PushAsync(string ownerNode, IReadOnlyList<string> sessionIds, string eventId, byte[] frame) =>
        InboxWhereNotTakenAsync(peers!.TryDeliverAsync(ownerNode, eventId, frame, sessionIds), ownerNode, sessionIds, eventId, frame);

    /// <summary>
    /// Another node's direct copy for a session of this node (see <see cref="IPeerDelivery"/>): queued and sent like a
    /// local publish; returns the task that completes when it is durable, or null if the session is not attached here.
    /// Callers taking several copies call this for each in order first, then wait: copies for one session keep their order.
    /// </summary>
    public async ValueTask<Task?> AcceptFromPeerAsync(string sessionId, string eventId, byte[] frame)
    {
        if (!sessions.Value.IsActive(sessionId))
        {
            return null; // an attached session always has its grain in memory; never activate one for a peer's copy
        }
        var result = await EnqueueHereAsync(sessionId, eventId, frame).ConfigureAwait(false);
        return result.Outcome == EnqueueOutcome.NotAttached ? null : result.Durable;
    }

    private ValueTask<EnqueueResult> EnqueueHereAsync(string sessionId, string eventId, byte[] frame) =>
        sessions.Value.CallAsync(sessionId, (eventId, frame), static (session, e) => session.EnqueueAsync(e.eventId, e.frame));

    private async Task<bool> InboxWhereNotTakenAsync(Task<bool[]> pushed, string ownerNode, IReadOnlyList<string> sessionIds, string eventId, byte[] frame)
    {
        var taken = await pushed.ConfigureAwait(false);
        List<Task>? fallbacks = null;
        for (var i = 0; i < sessionIds.Count; i++)
        {
            if (!taken[i])
            {
                (fallbacks ??= []).Add(store.AppendInboxAsync(sessionIds[i], eventId, frame, wakeNode: ownerNode));
            }
        }
        if (fallbacks is null)
        {
            return false;
        }
        await Task.WhenAll(fallbacks).ConfigureAwait(false);
        return true;
    }
}

/// <summary>Where a routed copy went: <see cref="Durable"/> completes when it is durable; <see cref="ViaInbox"/>: into the session's inbox.</summary>
public readonly record struct RouteResult(Task Durable, bool ViaInbox);
