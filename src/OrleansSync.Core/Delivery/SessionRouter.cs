using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using OrleansSync.Cluster;
using OrleansSync.Storage;

namespace OrleansSync.Delivery;

/// <summary>
/// Delivers one event to one session: into the session's grain, wherever in the cluster it runs, when a node holds the
/// session's socket; otherwise, or when the grain is not attached after all, into the session's durable inbox, which
/// its next resume replays. Used by user fan-out and by rooms, from within their grains' turns.
/// </summary>
public sealed class SessionRouter(IGrainFactory grains, ISessionStore store, IOptions<NodeOptions> node, AttachedSessions attached,
    IClusterSignals signals)
{
    /// <summary>This node's id.</summary>
    public string NodeId { get; } = node.Value.Id ?? throw new InvalidOperationException("Node:Id is not set.");

    /// <summary>
    /// Hands a session inbox events waiting for it (the grain skips those it handled): the node's drains, and a
    /// publish that must reach the socket after them.
    /// </summary>
    public Task<int> CatchUpAsync(string sessionId, IReadOnlyList<InboxEvent> waiting) => Session(sessionId).AcceptInboxAsync(waiting);

    /// <summary>Whether the session's grain is attached in this silo (a copy for it can go out on the caller's thread).</summary>
    public bool IsAttachedHere(string sessionId) => attached.TryGetGrain(sessionId, out _);

    /// <summary>The session's grain: an attached session's kept reference, or a new one.</summary>
    public ISessionGrain Session(string sessionId) =>
        attached.TryGetReference(sessionId, out var reference) ? reference : grains.GetGrain<ISessionGrain>(sessionId);

    /// <summary>
    /// Routes the event to the session's grain (if <paramref name="ownerNode"/> holds its socket and nothing waits in
    /// its inbox, <paramref name="inboxWaiting"/>) or its inbox; completes when it is durable, with true if it went to
    /// the inbox. The grain call goes out before this returns, so routes started in some order reach a session in that
    /// order. A copy queued behind waiting inbox events wakes the node holding the socket, which moves them.
    /// </summary>
    /// <remarks>
    /// Runs once per delivery, so it keeps to one async layer, and what follows the grain's answer runs where the answer
    /// is given, not in a turn of the calling grain (it touches no grain state). A session grain attached in this silo
    /// (nearly all: a grain is placed beside its socket, and a publish is routed in the silo that holds its user's
    /// grain) gets the enqueue as work queued on it (<see cref="SessionGrain.EnqueueInSilo"/>), not as a message, and
    /// answers before its commit, which is then waited for here. Others get a call answered once the event is durable. A detached session's grain leaves memory
    /// after each call; publishes that reach it meanwhile (a kept list still naming its node) are forwarded to its next
    /// activation, and Orleans rejects a call forwarded too often without running it; a call to a silo that just died
    /// fails until membership says so. Such a call queued nothing the tab will not get from the inbox's replay (the
    /// grain skips an event it already holds): the inbox.
    /// </remarks>
    public async Task<bool> RouteAsync(string sessionId, string? ownerNode, bool inboxWaiting, string eventId, byte[] frame)
    {
        if (ownerNode is not null && !inboxWaiting)
        {
            EnqueueOutcome outcome;
            try
            {
                if (attached.TryGetGrain(sessionId, out var here) && here.TryEnqueueNow(eventId, frame, out var commit))
                {
                    await commit.ConfigureAwait(false);
                    return false;
                }
                if (here?.EnqueueInSilo(eventId, frame) is { } enqueue)
                {
                    outcome = await enqueue.Task.ConfigureAwait(false);
                    await enqueue.Commit.ConfigureAwait(false);
                }
                else
                {
                    // Not attached here, or parked (its grain comes back for the call): a grain call.
                    outcome = await Session(sessionId).EnqueueAsync(eventId, new Immutable<byte[]>(frame)).ConfigureAwait(false);
                }
            }
            catch (Exception exception) when (exception is OrleansMessageRejectionException or TimeoutException)
            {
                outcome = EnqueueOutcome.NotAttached;
            }
            if (outcome != EnqueueOutcome.NotAttached)
            {
                return false;
            }
            // A node holds (or held a moment ago) the socket, yet the grain is not attached: it may have died with its silo.
            signals.SessionMayBeOrphaned(ownerNode, sessionId);
        }
        await store.AppendInboxAsync(sessionId, eventId, frame, wakeNode: inboxWaiting && ownerNode != NodeId ? ownerNode : null).ConfigureAwait(false);
        return true;
    }
}
