using Microsoft.Extensions.Options;
using OrleansSync.Cluster;
using OrleansSync.Diagnostics;
using Orleans.Concurrency;
using OrleansSync.Storage;

namespace OrleansSync.Delivery;

/// <summary>
/// Fan-out point of one user, one activation in the whole cluster: takes the user's sessions (and which node holds
/// each one's socket) from the list it keeps, or reads them from the store, and routes the event to every one. Being
/// turn-based, it gives all of a user's sessions the same order for the user's publishes.
/// <para>
/// The kept list is a shortcut for a read, as right as one through three rules: it is dropped whenever a change a
/// later publish must see has committed (a session created or claimed, before its <c>auth_ok</c>:
/// <see cref="ForgetSessionListAsync"/>; a copy that went to an inbox, once the publish is durable), and a read that began before such a
/// drop is not kept; only lists a publish can act on without reading more are kept (every session attached, nothing
/// waiting in an inbox); and a list is used for at most <see cref="NodeClusterOptions.SessionListLifetime"/> after its
/// read began, which bounds what a second activation (while membership changes) or a drop that could not be
/// delivered can cost.
/// </para>
/// Copies for sessions with events waiting in their inbox queue behind them there (and the node holding the socket is
/// woken to move them), except for sessions held on this node, which take the waiting events first.
/// </summary>
public sealed partial class UserGrain(ISessionStore store, SessionRouter router, IOptions<NodeClusterOptions> cluster, TimeProvider time,
    SyncMetrics metrics, ActiveUsers active) : GatedGrain, IUserGrain
{
    private string _userId = "";

    /// <summary>Publishes routed by this activation whose copies are not all durable yet, by event id.</summary>
    private readonly Dictionary<string, Task> _pending = new(StringComparer.Ordinal);

    private IReadOnlyList<UserSession>? _kept;
    private long _keptReadStarted; // timestamp
    private long _drops;           // bumped by every drop: a read that began before one is not kept
    private bool _fannedOut;       // this activation routed a publish (else it was activated only to drop a list it never had)
    private IGrainTimer? _leaveTimer; // set while a grain activated by claims alone waits to leave (LeaveSoon)

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _userId = this.GetPrimaryKeyString();
        active.Add(_userId, this);
        metrics.GrainActivated(GrainKinds.User);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        using (InTurn()) // not a call: the gate is taken here (a direct fan-out may be running on another thread)
        {
            _deactivated = true;
            active.Remove(_userId, this);
        }
        metrics.GrainDeactivated(GrainKinds.User);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task ForgetSessionListAsync()
    {
        DropList();
        if (!_fannedOut)
        {
            LeaveSoon();
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// How long a grain activated by sessions' claims alone stays after the last one. It kept nothing, so it need not
    /// stay for the idle timeout; but leaving at once made the next claims of a burst (a user's tabs opening together)
    /// reach an activation on its way out, where Orleans forwards a call at most twice and then refuses it, and a
    /// refused claim waits out the list lifetime before its <c>auth_ok</c>.
    /// </summary>
    public static readonly TimeSpan ClaimOnlyStay = TimeSpan.FromSeconds(5);

    /// <summary>Leaves <see cref="ClaimOnlyStay"/> after the last claim, unless a publish came meanwhile.</summary>
    private void LeaveSoon()
    {
        if (_leaveTimer is null)
        {
            _leaveTimer = this.RegisterGrainTimer(static grain => grain.LeaveIfOnlyClaimed(), this, ClaimOnlyStay, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _leaveTimer.Change(ClaimOnlyStay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>The stay's tick: an Orleans message to this grain, so the call filter counts it as a turn.</summary>
    private Task LeaveIfOnlyClaimed()
    {
        if (!_fannedOut)
        {
            DeactivateOnIdle();
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<int> FanOutAsync(string eventId, Immutable<byte[]> frameBytes)
    {
        _fannedOut = true;
        var frame = frameBytes.Value;
        var sessions = KeptList();
        var fromCopy = sessions is not null;
        if (sessions is null)
        {
            var drops = _drops;
            var started = time.GetTimestamp();
            sessions = await store.LoadUserSessionsAsync(_userId, router.NodeId);
            if (drops == _drops && IsKeepable(sessions))
            {
                (_kept, _keptReadStarted) = (sessions, started);
            }
        }
        metrics.SessionListLookup(fromCopy);
        List<Task<bool>>? copies = null;
        foreach (var session in sessions)
        {
            var inboxWaiting = session.WaitingInbox is { Count: > 0 };
            if (inboxWaiting && session.OwnerNode == router.NodeId)
            {
                await router.CatchUpAsync(session.SessionId, session.WaitingInbox!);
                inboxWaiting = false;
            }
            // Started, not awaited: each session gets the copy in this turn's order, and the commits overlap.
            (copies ??= []).Add(router.RouteAsync(session.SessionId, session.OwnerNode, inboxWaiting, eventId, frame));
        }
        if (copies is not null)
        {
            var durable = DurableAsync(eventId, copies);
            if (!durable.IsCompletedSuccessfully)
            {
                _pending[eventId] = durable; // a failure stays until its publisher asks (WhenDurableAsync)
            }
        }
        return sessions.Count;
    }

    /// <inheritdoc />
    /// <remarks>
    /// A publish whose copies failed to be written (the store cannot write) must hear so even when the failure came
    /// before this call did: a failed durability task stays in <c>_pending</c> until it is asked for here. Before, it
    /// left with the failure, and the publish was answered 202 for an event never stored.
    /// </remarks>
    public Task WhenDurableAsync(string eventId)
    {
        if (!_pending.TryGetValue(eventId, out var durable))
        {
            return Task.CompletedTask; // durable already (or nothing to wait for)
        }
        if (durable.IsCompleted)
        {
            _pending.Remove(eventId);
        }
        return durable;
    }

    /// <summary>
    /// Every copy durable. If one went to an inbox, the kept list is dropped: the next publish reads the list again and
    /// queues behind that copy. (A publish routed by the list meanwhile reaches the same grain after this one, so it
    /// also queues behind it; only a resume in between can put it first, as for any two overlapping publishes.)
    /// </summary>
    private async Task DurableAsync(string eventId, List<Task<bool>> copies)
    {
        // One continuation for all the copies (a turn of this grain), not one per copy. On a failure the task stays in
        // _pending for WhenDurableAsync (a publisher whose request ended between its two calls leaves it there until the
        // grain is collected: a rare, small leftover).
        var viaInbox = await Task.WhenAll(copies);
        using (InTurn()) // a continuation, not a call: the gate is taken here
        {
            _pending.Remove(eventId);
            if (Array.IndexOf(viaInbox, true) >= 0)
            {
                DropList();
            }
        }
    }

    private IReadOnlyList<UserSession>? KeptList()
    {
        if (_kept is not null && time.GetElapsedTime(_keptReadStarted) >= cluster.Value.SessionListLifetime)
        {
            _kept = null;
        }
        return _kept;
    }

    private void DropList()
    {
        _kept = null;
        _drops++;
    }

    private static bool IsKeepable(IReadOnlyList<UserSession> sessions)
    {
        foreach (var session in sessions)
        {
            if (session.OwnerNode is null || session.WaitingInbox is { Count: > 0 })
            {
                return false;
            }
        }
        return true;
    }
}
