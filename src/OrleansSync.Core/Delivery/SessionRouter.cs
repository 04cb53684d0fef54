using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using OrleansSync.Cluster;
using OrleansSync.Storage;

namespace OrleansSync.Delivery;

/// <summary>
/// Delivers one event to one session wherever its socket is: into the session's grain when this node owns the
/// session and its socket is attached; to the owning node directly when the caller allows it and
/// <see cref="IPeerDelivery"/> succeeds; otherwise into the session's durable inbox (and a wake-up for the owning
/// node, if another node owns it). Used by user fan-out and by rooms, from within their grains' turns.
/// </summary>
public sealed class SessionRouter(IGrainFactory grains, ISessionStore store, IOptions<NodeOptions> node, AttachedSessions attached,
    IPeerDelivery? peers = null)
{
    /// <summary>This node's id.</summary>
    public string NodeId { get; } = node.Value.Id ?? throw new InvalidOperationException("Node:Id is not set.");

    /// <summary>
    /// Hands a local session inbox events waiting for it (the grain skips those it handled): the node's drains,
    /// and a publish that must reach the socket after them.
    /// </summary>
    public Task<int> CatchUpAsync(string sessionId, IReadOnlyList<InboxEvent> waiting) => Session(sessionId).AcceptInboxAsync(waiting);

    /// <summary>The session's grain: an attached session's kept reference, or a new one.</summary>
    public ISessionGrain Session(string sessionId) =>
        attached.TryGetReference(sessionId, out var reference) ? reference : grains.GetGrain<ISessionGrain>(sessionId);

    /// <summary>
    /// Routes the event through this node or the inbox; completes when it is durable, with true if it went to the
    /// session's inbox. The grain call goes out before this returns, so routes started in some order reach a
    /// session in that order.
    /// </summary>
    public async Task<bool> RouteAsync(string sessionId, string? ownerNode, string eventId, byte[] frame)
    {
        if (ownerNode == NodeId && await EnqueueHereAsync(sessionId, eventId, frame) != EnqueueOutcome.NotAttached)
        {
            return false;
        }
        await store.AppendInboxAsync(sessionId, eventId, frame, wakeNode: ownerNode is not null && ownerNode != NodeId ? ownerNode : null);
        return true;
    }

    /// <summary>
    /// The local grain's enqueue. A detached session's grain leaves memory after each call; publishes that reach it
    /// meanwhile (a list copy still naming this node) are forwarded to its next activation, and Orleans rejects a call
    /// forwarded too often without running it. Such a call queued nothing: the session is detached, so the inbox.
    /// </summary>
    private async Task<EnqueueOutcome> EnqueueHereAsync(string sessionId, string eventId, byte[] frame)
    {
        try
        {
            return await Session(sessionId).EnqueueAsync(eventId, new Immutable<byte[]>(frame));
        }
        catch (OrleansMessageRejectionException)
        {
            return EnqueueOutcome.NotAttached;
        }
    }

    /// <summary>True if copies for sessions of <paramref name="ownerNode"/> can go to it directly (<see cref="PushAsync"/>).</summary>
    public bool CanPushTo(string? ownerNode) => peers is not null && ownerNode is not null && ownerNode != NodeId;

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
    /// local publish; completes when it is durable, with false if the session is not attached here. The grain call goes
    /// out before this returns: callers taking several copies call this for each in order first, then wait.
    /// </summary>
    public Task<bool> AcceptFromPeerAsync(string sessionId, string eventId, byte[] frame)
    {
        if (!attached.Contains(sessionId))
        {
            return Task.FromResult(false); // an attached session always has its grain here; never activate one for a peer's copy
        }
        var queued = EnqueueHereAsync(sessionId, eventId, frame); // a rejected call is "not taken": the peer uses the inbox
        return TakenAsync(queued);

        static async Task<bool> TakenAsync(Task<EnqueueOutcome> queued) => await queued != EnqueueOutcome.NotAttached;
    }

    private async Task<bool> InboxWhereNotTakenAsync(Task<bool[]> pushed, string ownerNode, IReadOnlyList<string> sessionIds, string eventId, byte[] frame)
    {
        var taken = await pushed;
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
        await Task.WhenAll(fallbacks);
        return true;
    }
}
