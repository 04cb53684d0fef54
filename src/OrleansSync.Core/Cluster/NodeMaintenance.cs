using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSync.Conversations;
using OrleansSync.Delivery;
using OrleansSync.Diagnostics;
using OrleansSync.Storage;

namespace OrleansSync.Cluster;

/// <summary>
/// This node's side of the cluster, each <see cref="NodeClusterOptions.HeartbeatInterval"/>: heartbeat (on a loop of its
/// own, so that a slow round does not make the node look dead); drain the
/// inboxes of sessions it owns and its room outbox (what a lost wake-up would have said); close sockets of
/// sessions another node claimed, and sockets whose session's grain died with its silo; release sessions it owns with
/// no socket here. A single node runs the same loop against SQLite, with nobody else to hear from.
/// The sweeper (retention windows, dead nodes) is not here: <see cref="SweeperGrain"/> runs it, kept alive by a reminder;
/// silo nodes wake it each heartbeat, so it moves within a heartbeat of Orleans declaring its silo dead.
/// </summary>
public sealed partial class NodeMaintenance(ISessionStore sessions, INodeStore nodes, IRoomOutbox outbox, Sweeper sweeper,
    IGrainFactory grains, SessionService sessionService, ISocketDirectory sockets, IOptionsMonitor<NodeClusterOptions> cluster,
    IOptionsMonitor<DeliveryOptions> delivery, IOptions<NodeOptions> node, NodeRoles roles, TimeProvider time, SyncMetrics metrics,
    ILogger<NodeMaintenance> logger) : BackgroundService
{
    private const int BatchLimit = 500;

    /// <summary>Heartbeats per ownership check: a stranded session is released within two checks of its socket's detach.</summary>
    public const int OwnershipCheckEveryBeats = 5;
    private readonly Channel<Wakeup> _wakeups = Channel.CreateBounded<Wakeup>(new BoundedChannelOptions(10_000)
    {
        FullMode = BoundedChannelFullMode.DropOldest, // a dropped wake-up is recovered by the next poll
        SingleReader = true,
    });
    private long _beats;
    private long _failedRounds; // in a row
    private long _inboxDispatched; // highest inbox id a drain has handed to its grains
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _orphanChecksDue = new(StringComparer.Ordinal);
    private HashSet<string> _deadSilos = new(StringComparer.Ordinal); // as last read; each new one prompts a check of every socket
    private readonly StrandedSessions _stranded = new();

    /// <summary>
    /// How long an orphan check waits for the grain's answer before it counts as unanswered (asked again next heartbeat):
    /// far above a healthy answer, and short, since the heartbeat waits for the checks and a silent node counts as dead.
    /// </summary>
    private static readonly TimeSpan OrphanCheckTimeout = TimeSpan.FromSeconds(1);

    private string NodeId => node.Value.Id!;

    /// <summary>
    /// Before serving: registers the node, and undoes what a previous run under the same id left behind
    /// (its sessions start their retention clocks, its viewers leave their rooms).
    /// </summary>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        await HeartbeatAsync(cancellationToken).ConfigureAwait(false);
        await sweeper.ForgetNodeAsync(NodeId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A wake-up from another node (never required for correctness: the poll covers it).</summary>
    public void Wake(Wakeup wakeup) => _wakeups.Writer.TryWrite(wakeup);

    /// <summary>The work of one round: inboxes, the outbox, orphans, ownership, and the sweeper kept awake.</summary>
    private async Task RunRoundAsync(CancellationToken cancellationToken)
    {
        var sweeperAwake = WakeSweeperAsync(cancellationToken);
        await DrainOwnedInboxesAsync(fromStart: true, cancellationToken).ConfigureAwait(false);
        await DrainOutboxAsync(cancellationToken).ConfigureAwait(false);
        await SuspectOrphansAfterSiloDeathAsync(cancellationToken).ConfigureAwait(false);
        await RecheckOrphansAsync().ConfigureAwait(false);
        if (++_beats % OwnershipCheckEveryBeats == 0)
        {
            await CheckOwnershipAsync(cancellationToken).ConfigureAwait(false);
        }
        await sweeperAwake.ConfigureAwait(false);
    }

    /// <summary>
    /// Activates the sweeper if its activation is gone (silo nodes only). Rejected while its silo is dying and not yet
    /// declared dead: the next heartbeat tries again.
    /// </summary>
    private async Task WakeSweeperAsync(CancellationToken cancellationToken)
    {
        if (!roles.Silo)
        {
            return;
        }
        try
        {
            await grains.GetGrain<ISweeperGrain>(SweeperGrain.Key).WakeAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is OrleansMessageRejectionException or TimeoutException)
        {
            Log.SweeperNotWoken(logger, exception.Message);
        }
    }

    /// <summary>Refreshes this node's row (other nodes count it dead when it goes stale).</summary>
    private Task HeartbeatAsync(CancellationToken cancellationToken) =>
        nodes.HeartbeatAsync(NodeId, roles.Describe(), node.Value.Address, time.GetUtcNow(), cancellationToken);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var wakeups = HandleWakeupsAsync(stoppingToken);
        var heartbeats = HeartbeatLoopAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(cluster.CurrentValue.HeartbeatInterval, time, stoppingToken).ConfigureAwait(false);
                await RunRoundAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                RoundFailed(exception);
                continue;
            }
            if (_failedRounds > 0)
            {
                Log.RoundsRecovered(logger, _failedRounds);
                _failedRounds = 0;
            }
        }
        await wakeups.ConfigureAwait(false);
        await heartbeats.ConfigureAwait(false);
    }

    /// <summary>
    /// Keeps this node's row fresh on its own, apart from the rounds: a round can wait on a grain call for up to
    /// Orleans' response timeout (the sweeper's silo leaving, a busy cluster), and other nodes clean up after a node
    /// silent for <see cref="NodeClusterOptions.NodeTimeout"/> (its sockets' rows deleted, its sessions released) while
    /// it still serves those sockets. Before, the heartbeat began each round and waited for the one before.
    /// </summary>
    private async Task HeartbeatLoopAsync(CancellationToken stoppingToken)
    {
        var failed = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(cluster.CurrentValue.HeartbeatInterval, time, stoppingToken).ConfigureAwait(false);
                await HeartbeatAsync(stoppingToken).ConfigureAwait(false);
                failed = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                // Once per run of failures above debug; a store fault is the store health's to log.
                if (failed++ == 0 && exception is not StoreUnavailableException)
                {
                    Log.HeartbeatFailed(logger, exception);
                }
                else
                {
                    Log.HeartbeatFailedAgain(logger, exception.Message);
                }
            }
        }
    }

    /// <summary>
    /// Logs a failed round once per run of failures (a store that cannot write fails every round, once a heartbeat
    /// interval); a store fault not at all beyond debug, since the store's health (<c>StoreHealth</c>) logs its episode.
    /// </summary>
    private void RoundFailed(Exception exception)
    {
        if (_failedRounds++ == 0 && exception is not StoreUnavailableException)
        {
            Log.RoundFailed(logger, exception);
        }
        else
        {
            Log.RoundFailedAgain(logger, exception.Message);
        }
    }

    private async Task DrainOutboxAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var payloads = await outbox.TakeOutboxAsync(NodeId, BatchLimit, cancellationToken).ConfigureAwait(false);
            foreach (var payload in payloads)
            {
                if (!sockets.TryGetSocket(payload.SocketId, out var socket, out _) || !socket.TrySend(payload.Frame))
                {
                    await grains.GetGrain<IConversationGrain>(new RoomKey(payload.ChurchId, payload.ConversationId).GrainKey).LeaveAsync(payload.SocketId)
                        .WaitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            if (payloads.Count < BatchLimit)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Makes the store and this node's sockets agree on what the node owns, both ways, from one read of the sessions it
    /// owns (an index range): a socket whose session the store gives to another node (or no longer has) is closed by its
    /// grain, in case the claim's wake-up was lost; a session the store gives to this node that no socket here holds is
    /// released with its retention clock starting, once two checks in a row saw it so (<see cref="StrandedSessions"/>).
    /// The release is fenced on this node and that epoch, so a claim meanwhile wins; and should it ever release a claim
    /// still in flight, the bumped epoch fences that grain's writes out and the next check closes its socket (4002), so the
    /// tab resumes from the store.
    /// </summary>
    /// <remarks>Run every <see cref="OwnershipCheckEveryBeats"/> heartbeats; tests call it directly.</remarks>
    public async Task CheckOwnershipAsync(CancellationToken cancellationToken)
    {
        if (!roles.Gateway)
        {
            return; // no sockets: owns nothing
        }
        var attached = sockets.AttachedSessionIds(); // read before the store: a socket attached by then was claimed by then
        var owned = await sessions.FindOwnedSessionsAsync(NodeId, cancellationToken).ConfigureAwait(false);
        var ownedIds = owned.Select(static s => s.SessionId).ToHashSet(StringComparer.Ordinal);
        foreach (var lost in attached)
        {
            if (!ownedIds.Contains(lost))
            {
                await sessionService.LoseOwnershipAsync(lost).ConfigureAwait(false);
            }
        }
        var attachedNow = sockets.AttachedSessionIds().ToHashSet(StringComparer.Ordinal); // read after: a claim read owned may have reached its socket
        await ReleaseStrandedAsync(_stranded.Check(owned.Where(s => !attachedNow.Contains(s.SessionId))), cancellationToken).ConfigureAwait(false);
    }

    private async Task ReleaseStrandedAsync(IReadOnlyList<OwnedSession> stranded, CancellationToken cancellationToken)
    {
        if (stranded.Count == 0)
        {
            return;
        }
        var now = time.GetUtcNow();
        var released = await sessions.ReleaseOwnedSessionsAsync(NodeId, stranded, now, now + delivery.CurrentValue.RetentionWindow, cancellationToken)
            .ConfigureAwait(false);
        metrics.StrandedSessionsReleased(released);
        Log.StrandedSessionsReleased(logger, released, stranded.Count - released);
    }

    /// <summary>
    /// When Orleans declares a silo dead, every socket of this node is checked as a suspected orphan (its grain may have
    /// lived there). A publish finds an orphan too (<see cref="IClusterSignals.SessionMayBeOrphaned"/>), but a tab with
    /// events pending and nothing new published would otherwise wait forever: the grain that re-sent them, and would have
    /// closed the socket when their attempt budget ran out, died with its timer, and nothing activates its successor.
    /// Checking every socket costs one call each, per silo death; a grain that is alive answers without activating.
    /// </summary>
    private async Task SuspectOrphansAfterSiloDeathAsync(CancellationToken cancellationToken)
    {
        if (!roles.Gateway)
        {
            return; // no sockets here
        }
        var dead = (await nodes.FindDeadSilosAsync(cancellationToken).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        var known = _deadSilos;
        _deadSilos = dead;
        if (dead.IsSubsetOf(known))
        {
            return;
        }
        var attached = sockets.AttachedSessionIds();
        if (attached.Count > 0)
        {
            Log.SiloDeathSocketsChecked(logger, attached.Count);
        }
        foreach (var sessionId in attached)
        {
            _orphanChecksDue[sessionId] = 0;
        }
    }

    /// <summary>
    /// Sockets of this node whose session's grain is no longer attached to them (it died with its silo; its next
    /// activation knows no socket) are closed (1001, <see cref="SessionCloseReason.GrainLost"/>): the tab resumes, and the
    /// resume replays the queue. Asked of the grain itself, so a socket whose grain is alive is never closed. Asked in
    /// parallel batches, each answer bounded, so a silo's death that suspects every socket does not hold the heartbeat.
    /// </summary>
    private async Task CloseOrphanedSocketsAsync(IReadOnlySet<string> sessionIds)
    {
        foreach (var batch in sockets.SocketsOfSessions(sessionIds).Chunk(BatchLimit))
        {
            await Task.WhenAll(batch.Select(s => CloseIfOrphanedAsync(s.SessionId, s.Socket))).ConfigureAwait(false);
        }
    }

    private async Task CloseIfOrphanedAsync(string sessionId, ISessionObserver socket)
    {
        bool holds;
        try
        {
            holds = await sessionService.Grain(sessionId).HoldsSocketAsync(socket.SocketId).WaitAsync(OrphanCheckTimeout).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is OrleansException or TimeoutException)
        {
            _orphanChecksDue[sessionId] = 0; // the cluster is changing (the dead silo not declared yet): next heartbeat
            return;
        }
        if (!holds)
        {
            Log.OrphanedSocketClosed(logger, sessionId);
            socket.Close(SessionCloseReason.GrainLost);
        }
    }

    /// <summary>Checks again, each heartbeat, the suspected orphans whose grain could not be asked.</summary>
    private Task RecheckOrphansAsync()
    {
        if (_orphanChecksDue.IsEmpty)
        {
            return Task.CompletedTask;
        }
        var due = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sessionId in _orphanChecksDue.Keys)
        {
            if (_orphanChecksDue.TryRemove(sessionId, out _))
            {
                due.Add(sessionId);
            }
        }
        return CloseOrphanedSocketsAsync(due);
    }

    /// <summary>
    /// One query reads the inboxes of every session this node owns; each session gets its events in one turn,
    /// sessions in parallel. A wake-up drain reads only rows above the highest id already dispatched: under load
    /// a row's move commits a batch later, and re-reading every pending row on every wake-up cost more than the
    /// delivery itself. The poll (<paramref name="fromStart"/>) reads everything: a row that commits after a
    /// higher id was read (concurrent inserts commit out of id order), or whose move failed, is found there.
    /// Rows read again are skipped by the grain.
    /// </summary>
    private async Task DrainOwnedInboxesAsync(bool fromStart, CancellationToken cancellationToken)
    {
        var after = fromStart ? 0 : Interlocked.Read(ref _inboxDispatched);
        while (true)
        {
            var waiting = await sessions.LoadOwnedInboxAsync(NodeId, after, BatchLimit, cancellationToken).ConfigureAwait(false);
            if (waiting.Count == 0)
            {
                return;
            }
            var drains = new List<Task>();
            foreach (var group in waiting.GroupBy(e => e.SessionId, StringComparer.Ordinal))
            {
                drains.Add(sessionService.AcceptInboxAsync(group.Key, group.Select(e => e.Event).ToList()));
            }
            await Task.WhenAll(drains).ConfigureAwait(false);
            after = waiting[^1].Event.Id;
            RaiseInboxDispatched(after);
            if (waiting.Count < BatchLimit)
            {
                return;
            }
        }
    }

    private void RaiseInboxDispatched(long id)
    {
        var current = Interlocked.Read(ref _inboxDispatched);
        while (id > current)
        {
            var seen = Interlocked.CompareExchange(ref _inboxDispatched, id, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }

    /// <summary>
    /// Handles wake-ups in bursts: all wake-ups waiting when one is handled collapse into one inbox drain, one
    /// outbox drain and one ownership check per claimed session, so a storm of notifications costs a few queries.
    /// </summary>
    private async Task HandleWakeupsAsync(CancellationToken stoppingToken)
    {
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        var orphaned = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            while (await _wakeups.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                var inbox = false;
                var outboxWaiting = false;
                claimed.Clear();
                orphaned.Clear();
                while (_wakeups.Reader.TryRead(out var wakeup))
                {
                    switch (wakeup.Kind)
                    {
                        case WakeupKind.Inbox: inbox = true; break;
                        case WakeupKind.Outbox: outboxWaiting = true; break;
                        case WakeupKind.Claimed: claimed.Add(wakeup.SessionId!); break;
                        case WakeupKind.Orphaned: orphaned.Add(wakeup.SessionId!); break;
                    }
                }
                try
                {
                    if (inbox)
                    {
                        await DrainOwnedInboxesAsync(fromStart: false, stoppingToken).ConfigureAwait(false);
                    }
                    if (outboxWaiting)
                    {
                        await DrainOutboxAsync(stoppingToken).ConfigureAwait(false);
                    }
                    if (orphaned.Count > 0)
                    {
                        await CloseOrphanedSocketsAsync(orphaned).ConfigureAwait(false);
                    }
                    if (claimed.Count > 0)
                    {
                        foreach (var lost in await sessions.FindSessionsNotOwnedByAsync(NodeId, claimed.ToList(), stoppingToken).ConfigureAwait(false))
                        {
                            await sessionService.LoseOwnershipAsync(lost).ConfigureAwait(false);
                        }
                    }
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    Log.WakeupFailed(logger, exception);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }
}

/// <summary>What a wake-up from another node asks for.</summary>
public enum WakeupKind
{
    /// <summary>An event waits in a session's inbox.</summary>
    Inbox,

    /// <summary>Another node claimed a session this node held.</summary>
    Claimed,

    /// <summary>Room payloads wait in this node's outbox.</summary>
    Outbox,

    /// <summary>A session of this node's sockets may have lost its grain (see <see cref="IClusterSignals.SessionMayBeOrphaned"/>).</summary>
    Orphaned,
}

/// <summary>A wake-up for this node.</summary>
public readonly record struct Wakeup(WakeupKind Kind, string? SessionId);
