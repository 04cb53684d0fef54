using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSync.Conversations;
using OrleansSync.Delivery;
using OrleansSync.Diagnostics;
using OrleansSync.Storage;

namespace OrleansSync.Cluster;

/// <summary>
/// The durable obligations no single session grain is active for, met in set-based statements (one per kind, whatever
/// the number of sessions): retention windows that passed, queues over their bound, sessions detached longer than their
/// lifetime, event bodies no session waits for any more, free file space, and what dead nodes left behind (their viewers
/// leave, their sessions' retention clocks start). Run by <see cref="SweeperGrain"/>, which a reminder keeps alive.
/// </summary>
public sealed partial class Sweeper(ISessionStore sessions, INodeStore nodes, IRoomOutbox outbox, IConversationStore rooms,
    IGrainFactory grains, IOptionsMonitor<NodeClusterOptions> cluster, IOptionsMonitor<DeliveryOptions> delivery, IOptions<NodeOptions> node,
    TimeProvider time, SyncMetrics metrics, ILogger<Sweeper> logger)
{
    /// <summary>
    /// One sweep, on one node of the cluster at a time (a store lock: the sweeper grain is one activation per cluster,
    /// but Orleans may briefly run two while membership changes).
    /// </summary>
    public Task SweepOnceAsync(CancellationToken cancellationToken) => nodes.TryRunExclusiveAsync("sweeper", SweepAsync, cancellationToken);

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var expired = await sessions.ExpireSessionsAsync(now, cancellationToken).ConfigureAwait(false);
        if (expired > 0)
        {
            metrics.SessionsExpired(expired);
            Log.Expired(logger, expired);
        }
        var overflowing = await sessions.FlagOverflowingSessionsAsync(delivery.CurrentValue.MaxQueuedPerSession, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < overflowing; i++)
        {
            metrics.FullSyncFlagged(FullSyncReason.QueueOverflow);
        }
        var lifetime = delivery.CurrentValue.SessionLifetime;
        var ended = await sessions.DeleteEndedSessionsAsync(now - lifetime, cancellationToken).ConfigureAwait(false);
        if (ended > 0)
        {
            metrics.SessionsDeleted(ended, SessionDeletionReason.Lifetime);
            Log.SessionsEnded(logger, ended, lifetime);
        }
        await sessions.DeleteUnreferencedEventBodiesAsync(cancellationToken).ConfigureAwait(false);
        var released = await sessions.ReclaimSpaceAsync(cancellationToken).ConfigureAwait(false);
        if (released > 0)
        {
            Log.SpaceReclaimed(logger, released);
        }
        foreach (var dead in await nodes.FindDeadNodesAsync(node.Value.Id!, now - cluster.CurrentValue.NodeTimeout, cancellationToken).ConfigureAwait(false))
        {
            Log.NodeDead(logger, dead);
            await ForgetNodeAsync(dead, cancellationToken).ConfigureAwait(false);
            await nodes.DeleteNodeAsync(dead, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A node's sockets are gone: its viewers leave (rooms hear attendance) and its sessions are released.</summary>
    public async Task ForgetNodeAsync(string nodeId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var released = await sessions.ReleaseSessionsOfNodeAsync(nodeId, now, now + delivery.CurrentValue.RetentionWindow, cancellationToken)
            .ConfigureAwait(false);
        await outbox.ForgetNodeSocketsAsync(nodeId, cancellationToken).ConfigureAwait(false);
        var touched = await rooms.DeleteConnectionsOfNodeAsync(nodeId, cancellationToken).ConfigureAwait(false);
        foreach (var room in touched)
        {
            await grains.GetGrain<IConversationGrain>(room.GrainKey).RefreshAttendanceAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        if (released > 0 || touched.Count > 0)
        {
            Log.NodeForgotten(logger, nodeId, released, touched.Count);
        }
    }
}
