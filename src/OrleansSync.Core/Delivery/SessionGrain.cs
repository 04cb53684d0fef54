using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSync.Diagnostics;
using Orleans.Concurrency;
using Orleans.Placement;
using OrleansSync.Cluster;
using OrleansSync.Storage;

namespace OrleansSync.Delivery;

/// <summary>
/// One reliable session (one tab or device) while its socket is attached: the ordered queue of
/// unacked events, the <c>need_full_sync</c> flag, the retry timer (a grain timer) and where its socket is (the
/// gateway's observer and the socket id).
/// Recovery rules, in one place:
/// <list type="bullet">
/// <item>Attaching claims the session in the store (owner = the node holding the socket, epoch + 1) and reads its queue and inbox
/// there, so an attach always starts from the durable truth, whichever node held the session before.</item>
/// <item>Attached: events are sent in queue order through a send window: at most <see cref="DeliveryOptions.SendWindow"/>
/// sent and not acked yet (in flight). Events beyond it (a replay's tail, inbox moves, new enqueues) wait queued, durable
/// as any other, and go out as acks free the window; so a replay never outruns the socket of a tab that acks. Each
/// in-flight event is re-sent each <see cref="DeliveryOptions.RetryInterval"/> until acked; a waiting one is not sent
/// at all.</item>
/// <item>Attempt budget: an event still unacked when its budget is spent closes the socket and deletes the session. The
/// budget survives a detach, resume, move to another node or restart, because each queue row carries its event's first
/// send to the session (written with the row when the event goes out at once, or marked when it leaves the window's
/// queue later: waiting for the window spends no budget). An event this attachment sent first gets exactly
/// <see cref="DeliveryOptions.MaxAttempts"/> re-sends, counted here (a time would lose a re-send to a late timer). An
/// event an earlier attachment sent first gives up at the first re-send tick at or past its first send +
/// (<see cref="DeliveryOptions.MaxAttempts"/> + 1) × <see cref="DeliveryOptions.RetryInterval"/>, the tick that would
/// have followed its last re-send without the interruption: its original deadline, at most one interval late. So a tab
/// that resumes within the retention window keeps the time already spent, and one that resumes past the deadline gets
/// its replay and one interval for its acks. A row without the time (not sent yet, or written by an older version)
/// counts as first sent by this attachment.</item>
/// <item>Detached: the grain holds nothing that matters; events wait in the session's durable inbox until the
/// retention deadline. A resume before it replays queue and inbox in order with <c>need_full_sync: false</c>.
/// Past it (or past the queue bound) everything is dropped and the flag set.</item>
/// <item>Flag set and detached: nothing is queued any more, since the tab re-reads its state anyway.</item>
/// <item>Every write carries the epoch of the claim; a write from an activation that lost the session is refused (it
/// goes to the inbox instead). This is what keeps a queue whole if Orleans briefly runs two activations of the grain
/// while membership changes: the later claim fences the earlier one's writes out.</item>
/// <item>Placed where the call that activates it comes from (<see cref="PreferLocalPlacementAttribute"/>): a resume
/// comes from the gateway holding the socket, so the grain and its socket usually share a process and a frame costs
/// no hop between silos.</item>
/// <item>Frames go to the socket through the gateway's observer, one-way: a push can be lost, so correctness rests on
/// acks, re-sends and replay. A socket that cannot keep up is closed by the gateway, whose close detaches the session.</item>
/// <item>Enqueue and ack interleave with the other calls (an ack may overtake an enqueue's wait for its commit); the
/// only other call that awaits mid-way with state to protect is the claim, and enqueues wait for it.</item>
/// </list>
/// </summary>
[PreferLocalPlacement]
public sealed partial class SessionGrain(ISessionStore store, IOptionsMonitor<DeliveryOptions> options, TimeProvider time,
    IClusterSignals signals, ISessionListInvalidation sessionLists, AttachedSessions attached, LocalGateway localGateway,
    ILogger<SessionGrain> logger, SyncMetrics metrics) : GatedGrain, ISessionGrain
{
    private readonly LinkedList<PendingEvent> _queue = new();
    private SessionRecord? _record;
    private long _nextSequence;
    private SocketLink? _socket;

    /// <summary>The gateway of <see cref="_socket"/> as this grain reaches it: the object itself when it is in this process.</summary>
    private IGatewayObserver? _gateway;

    /// <summary>Whether <see cref="_gateway"/> is this process's gateway object, which a direct enqueue may call from any thread.</summary>
    private bool _gatewayHere;

    /// <summary>Pushes to the current socket since its attach: each push's order, for the gateway to keep.</summary>
    private long _pushes;
    private IGrainTimer? _retryTimer;

    /// <summary>Something was sent since the re-send timer was last set: a tick that finds nothing in flight keeps the timer then.</summary>
    private bool _sentSinceTick;

    /// <summary>The first queued event this attachment has not sent yet (null: none waits). Every event before it is in flight.</summary>
    private LinkedListNode<PendingEvent>? _unsent;

    /// <summary>Events this attachment sent and nobody acked yet: the ones before <see cref="_unsent"/>.</summary>
    private int _inFlight;

    /// <summary>Set while a claim is in flight: enqueues that interleave with it wait, as a plain call would.</summary>
    private Task? _claiming;

    /// <summary>
    /// Inbox rows this attachment already moved or dropped. Their deletion is a batched write, so a drain that
    /// runs before it commits still reads them; without this, an event acked meanwhile would be sent again.
    /// </summary>
    private Dictionary<long, DateTimeOffset>? _handledInbox; // created by the first inbox event (most sessions never get one)
    private static readonly TimeSpan HandledInboxMemory = TimeSpan.FromSeconds(30);

    private DeliveryOptions Options => options.CurrentValue;

    /// <summary>The session id (this grain's key).</summary>
    private string Key { get; set; } = "";

    /// <summary>This grain's own reference, made at its first attach (for <see cref="AttachedSessions"/>).</summary>
    public ISessionGrain? Reference { get; private set; }

    /// <summary>Number of events waiting for an ack (read outside turns by gauges; may be a moment stale).</summary>
    public int QueuedCount => _queue.Count;

    /// <summary>Metrics timestamp of the oldest queued event, 0 if none (read outside turns by gauges).</summary>
    public long OldestQueuedTimestamp => _queue.First?.Value.EnqueuedTimestamp ?? 0;

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Key = this.GetPrimaryKeyString();
        metrics.GrainActivated(GrainKinds.Session);
        if (attached.TryUnpark(Key, out var parked))
        {
            Unpark(parked);
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        using (InTurn()) // not a call: the gate is taken here (a direct enqueue may be running on another thread)
        {
            _deactivated = true;
            StopRetryTimer();
            attached.Remove(Key, this);
        }
        metrics.GrainDeactivated(GrainKinds.Session);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RemovedSession>> CreateAsync(string userId)
    {
        var limit = Options.MaxSessionsPerUser;
        var removed = await store.CreateSessionAsync(new SessionRecord(Key, userId, NeedFullSync: true, RetentionDeadline: null,
            DetachedAt: time.GetUtcNow()), limit).ConfigureAwait(true);
        if (removed.Count > 0)
        {
            Log.SessionsOverLimitRemoved(logger, userId, removed.Count, removed.Count(r => r.OwnerNode is not null), limit);
            metrics.SessionsDeleted(removed.Count, SessionDeletionReason.UserLimit);
        }
        return removed;
    }

    /// <inheritdoc />
    public async Task<bool> ResumeAsync(string userId, SocketLink socket)
    {
        var claiming = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _claiming = claiming.Task;
        try
        {
            return await ClaimAndAttachAsync(userId, socket).ConfigureAwait(true);
        }
        finally
        {
            _claiming = null;
            claiming.SetResult();
            ParkIfIdle(); // attached with nothing to replay
            LeaveIfDetached(); // refused (unknown, or another user's session), or parked
        }
    }

    private async Task<bool> ClaimAndAttachAsync(string userId, SocketLink socket)
    {
        var claimed = await store.ClaimSessionAsync(Key, userId, socket.NodeId).ConfigureAwait(true);
        if (claimed is null)
        {
            return false; // unknown, or another user's: the current socket (if any) is untouched
        }
        // Before the tab hears auth_ok (and may rely on every later publish reaching this session):
        // no node still routes the user's publishes by a list without it, or with its old owner.
        await sessionLists.ForgetEverywhereAsync([userId]).ConfigureAwait(true);
        if (_socket is { } previous && previous != socket)
        {
            Log.SessionReplaced(logger, Key, Ids.LogTag(previous.SocketId), Ids.LogTag(socket.SocketId));
            LoseSocket(SessionCloseReason.Replaced);
        }
        if (claimed.PreviousOwner is { } previousOwner && previousOwner != socket.NodeId)
        {
            signals.SessionClaimed(previousOwner, Key);
        }
        _record = claimed.Session;
        LoadQueue(claimed);
        Reference ??= this.AsReference<ISessionGrain>();
        Hold(socket);
        if (_record.RetentionDeadline is { } deadline && time.GetUtcNow() >= deadline)
        {
            Log.RetentionExpired(logger, Key, _queue.Count);
            metrics.SessionsExpired(1);
            _ = DropQueueAndFlag(); // reported (and cleared) by the attach below
        }
        else if (_queue.Count > Options.MaxQueuedPerSession)
        {
            Log.QueueOverflow(logger, Key, _queue.Count);
            metrics.FullSyncFlagged(FullSyncReason.QueueOverflow);
            _ = DropQueueAndFlag();
        }
        await AttachAsync().ConfigureAwait(true);
        return true;
    }

    /// <inheritdoc />
    public Task DetachAsync(string socketId)
    {
        if (_socket?.SocketId == socketId)
        {
            Release();
        }
        LeaveIfDetached();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<EnqueueOutcome> EnqueueAsync(string eventId, Immutable<byte[]> frame)
    {
        await WhileClaimingAsync().ConfigureAwait(true);
        var (outcome, commit) = Enqueue(eventId, frame.Value);
        await commit.ConfigureAwait(true);
        return outcome;
    }

    /// <summary>Enqueues wait for a claim in flight, as a plain call would.</summary>
    private async Task WhileClaimingAsync()
    {
        while (_claiming is { } claiming)
        {
            await claiming.ConfigureAwait(true);
        }
    }

    /// <summary>The rule of <see cref="EnqueueAsync"/>: the outcome, and the commit of the queue row (completed if none).</summary>
    private (EnqueueOutcome Outcome, Task Commit) Enqueue(string eventId, byte[] frame)
    {
        if (_socket is null || _record is null)
        {
            LeaveIfDetached();
            return (EnqueueOutcome.NotAttached, Task.CompletedTask);
        }
        if (_queue.Count >= Options.MaxQueuedPerSession)
        {
            Overflow();
            return (EnqueueOutcome.NotQueued, Task.CompletedTask);
        }
        var commit = QueueAndSend(eventId, frame);
        EnsureRetryTimer();
        return (EnqueueOutcome.Queued, commit);
    }

    /// <summary>
    /// Queues an attached session's new event, writes its row and sends it if the window allows; the caller arms the
    /// re-send timer. Returns the row's commit.
    /// </summary>
    private Task QueueAndSend(string eventId, byte[] frame)
    {
        var pending = NewPending(eventId, frame, sentNow: WindowOpen);
        var commit = store.AppendEventAsync(Key, _record!.Epoch, pending.Sequence, eventId, frame, pending.FirstSentAt);
        SendWaiting();
        return commit;
    }

    /// <inheritdoc />
    public Task<int> AcceptInboxAsync(IReadOnlyList<InboxEvent> events)
    {
        if (_socket is null || _record is null)
        {
            LeaveIfDetached();
            return Task.FromResult(0);
        }
        var moved = 0;
        ForgetOldHandledInbox();
        foreach (var inbox in events)
        {
            if (_socket is null)
            {
                break; // the queue overflowed and the socket is on its way out
            }
            if (!(_handledInbox ??= []).TryAdd(inbox.Id, time.GetUtcNow()))
            {
                continue; // moved by an earlier drain; its deletion has not committed yet
            }
            if (Contains(inbox.EventId))
            {
                _ = store.DropInboxEventAsync(inbox.Id);
                continue;
            }
            if (_queue.Count >= Options.MaxQueuedPerSession)
            {
                Overflow();
                break;
            }
            var pending = NewPending(inbox.EventId, inbox.Frame, sentNow: WindowOpen);
            _ = store.MoveInboxEventAsync(Key, _record.Epoch, inbox.Id, pending.Sequence, inbox.EventId, inbox.Frame, pending.FirstSentAt);
            moved++;
            SendWithinWindow();
        }
        return Task.FromResult(moved);
    }

    /// <inheritdoc />
    public Task<bool> AckAsync(string eventId) => Task.FromResult(Acknowledge(eventId));

    /// <inheritdoc />
    public Task Ack(string eventId)
    {
        Acknowledge(eventId);
        return Task.CompletedTask;
    }

    /// <summary>The ack rule of <see cref="ISessionGrain.AckAsync"/>: true if the event was pending here.</summary>
    private bool Acknowledge(string eventId)
    {
        if (RemoveAcked(eventId))
        {
            EnsureRetryTimer();
            return true;
        }
        if (_socket is null && _claiming is null)
        {
            // A late ack from a closed socket (read after the close, or overtaken by the detach): the tab has the
            // event, so its durable row goes too, and a resume does not replay it. Idempotent; what a socket can send
            // here is bounded by what it was sent (its ack credit) and its flood budget.
            _ = store.RemoveEventAsync(Key, eventId);
        }
        ParkIfIdle(); // a stray ack that brought a parked session back
        LeaveIfDetached();
        return false;
    }

    /// <inheritdoc />
    public Task<bool> HoldsSocketAsync(string socketId)
    {
        var holds = _socket?.SocketId == socketId || _claiming is not null; // a claim in flight is about to hold it
        ParkIfIdle(); // the question alone does not keep a parked session in memory
        LeaveIfDetached();
        return Task.FromResult(holds);
    }

    /// <inheritdoc />
    public Task<bool> LoseOwnershipAsync()
    {
        if (_socket is null)
        {
            LeaveIfDetached();
            return Task.FromResult(false);
        }
        Log.OwnershipLost(logger, Key);
        LoseSocket(SessionCloseReason.Replaced);
        LeaveIfDetached();
        return Task.FromResult(true);
    }

    private void LoadQueue(ClaimedSession claimed)
    {
        ClearQueue();
        _nextSequence = 0;
        _handledInbox?.Clear();
        // Every claimed inbox row is handled here (moved, dropped or discarded): a drain that read it before that
        // commits must not deliver it again.
        foreach (var inbox in claimed.Inbox)
        {
            (_handledInbox ??= [])[inbox.Id] = time.GetUtcNow();
        }
        if (claimed.Session.NeedFullSync)
        {
            // A flagged session's queue and inbox are stale by definition: the full sync replaces them. Rows can
            // still be there when a write committed around the flag (on PostgreSQL an insert that read the session
            // before the expiry committed lands after the expiry's delete), so they are dropped here, not replayed.
            if (claimed.Queue.Count > 0 || claimed.Inbox.Count > 0)
            {
                _ = store.ClearQueueAsync(Key, claimed.Session.Epoch);
            }
            return;
        }
        foreach (var stored in claimed.Queue)
        {
            _queue.AddLast(new PendingEvent(stored.Sequence, stored.EventId, stored.Frame)
            {
                EnqueuedTimestamp = metrics.Timestamp(),
                FirstSentAt = stored.FirstSentAt,
                FirstSentEarlier = stored.FirstSentAt is not null,
            });
            _nextSequence = stored.Sequence + 1;
        }
        _unsent = _queue.First; // this attachment has sent nothing yet: the attach sends the first window's worth
        foreach (var inbox in claimed.Inbox)
        {
            if (Contains(inbox.EventId))
            {
                _ = store.DropInboxEventAsync(inbox.Id);
                continue;
            }
            // Not sent yet: its first send marks the row (while the move waits in the store's batch, in the move itself).
            var pending = NewPending(inbox.EventId, inbox.Frame, sentNow: false);
            _ = store.MoveInboxEventAsync(Key, claimed.Session.Epoch, inbox.Id, pending.Sequence, inbox.EventId, inbox.Frame, null);
        }
    }

    /// <summary>
    /// Takes an acked event out of the queue and its row out of the store, and sends what waited for its place in the
    /// window; the caller arms the re-send timer. False if the event is not queued here.
    /// </summary>
    private bool RemoveAcked(string eventId)
    {
        for (var node = _queue.First; node is not null; node = node.Next)
        {
            if (string.Equals(node.Value.EventId, eventId, StringComparison.Ordinal))
            {
                Remove(node);
                _ = store.RemoveEventAsync(Key, eventId);
                metrics.EventAcked(node.Value.FirstSentTimestamp);
                SendWaiting();
                return true;
            }
        }
        return false;
    }

    private void ForgetOldHandledInbox()
    {
        if (_handledInbox is not { Count: > 0 })
        {
            return;
        }
        var cutoff = time.GetUtcNow() - HandledInboxMemory;
        foreach (var (id, at) in _handledInbox)
        {
            if (at < cutoff)
            {
                _handledInbox.Remove(id);
            }
        }
    }

    /// <summary>
    /// Queues a new event at the tail, not sent yet. <paramref name="sentNow"/>: the caller sends it in this turn (the
    /// window is open and nothing waits before it), so its first send is now and its queue row is written with this
    /// time; otherwise the row is written without one and <see cref="Send"/> marks it at the first send.
    /// </summary>
    private PendingEvent NewPending(string eventId, byte[] frame, bool sentNow)
    {
        var pending = new PendingEvent(_nextSequence++, eventId, frame)
        {
            EnqueuedTimestamp = metrics.Timestamp(),
            FirstSentAt = sentNow ? time.GetUtcNow() : null,
        };
        var node = _queue.AddLast(pending);
        _unsent ??= node;
        return pending;
    }

    private bool Contains(string eventId)
    {
        foreach (var pending in _queue)
        {
            if (string.Equals(pending.EventId, eventId, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Reports and clears the flag, then replays the queue in order, as far as the send window goes. The report is a
    /// call answered by the gateway, not a one-way push: Orleans routes messages to a gateway that is an Orleans client
    /// through a lookup of its connections, and pushes sent while the first lookup is pending can overtake each other.
    /// Once the gateway has answered, its route is known here and the replay's pushes leave in order.
    /// </summary>
    private async Task AttachAsync()
    {
        var record = _record!;
        var socket = _socket!;
        _record = record with { NeedFullSync = false, RetentionDeadline = null, OwnerNode = socket.NodeId, DetachedAt = null };
        _ = store.SaveSessionAsync(_record);
        _pushes = 0;
        await _gateway!.SessionOpened(socket.SocketId, new SessionOpened(Key, record.UserId, record.NeedFullSync)).ConfigureAwait(true);
        Log.SessionAttached(logger, Key, record.UserId, Ids.LogTag(socket.SocketId), record.NeedFullSync, _queue.Count);
        SendWithinWindow(); // the replay: the rest follows the tab's acks
    }

    /// <summary>Holds the socket: the grain is attached in this process, and stays in memory until it parks or the socket goes.</summary>
    private void Hold(SocketLink socket)
    {
        _socket = socket;
        _gateway = localGateway.Reach(socket);
        _gatewayHere = localGateway.IsHere(socket);
        attached.Add(Key, this);
        DelayDeactivation(TimeSpan.MaxValue);
    }

    /// <summary>The socket is gone: release the session with its retention clock running (unless it needs a full sync anyway).</summary>
    private void Release()
    {
        Forget();
        var record = _record!;
        _record = record with
        {
            OwnerNode = null,
            RetentionDeadline = record.NeedFullSync ? null : time.GetUtcNow() + Options.RetentionWindow,
            DetachedAt = time.GetUtcNow(),
        };
        _ = store.SaveSessionAsync(_record);
        ClearQueue(); // the durable queue is the truth from here on; the next attach reads it back
    }

    /// <summary>Closes the socket without writing anything (another node or socket owns the session now).</summary>
    private void LoseSocket(SessionCloseReason reason)
    {
        var socket = _socket!;
        Forget();
        ClearQueue();
        _record = null;
        _ = localGateway.Reach(socket).Close(socket.SocketId, reason);
    }

    /// <summary>
    /// A detached session is only rows: whatever call found this grain without a socket (a late ack, a drain, the
    /// ownership check), it leaves memory once the call ends instead of waiting for idle collection.
    /// </summary>
    private void LeaveIfDetached()
    {
        if (_socket is null && _claiming is null)
        {
            DeactivateOnIdle();
        }
    }

    /// <summary>No socket any more: no timer, no entry among the attached sessions.</summary>
    private void Forget()
    {
        _socket = null;
        _gateway = null;
        _gatewayHere = false;
        StopRetryTimer();
        attached.Remove(Key, this);
        DelayDeactivation(TimeSpan.Zero);
    }

    /// <summary>True if an event queued now goes out at once: nothing waits before it and the window has room.</summary>
    private bool WindowOpen => _unsent is null && _inFlight < Options.SendWindow;

    /// <summary>Sends waiting events, in queue order, while the window has room (and a socket is attached), and arms the re-send timer.</summary>
    private void SendWithinWindow()
    {
        if (SendWaiting())
        {
            EnsureRetryTimer();
        }
    }

    /// <summary><see cref="SendWithinWindow"/> without the timer: true if something was sent.</summary>
    private bool SendWaiting()
    {
        if (_socket is null)
        {
            return false;
        }
        var window = Options.SendWindow;
        var sent = false;
        while (_unsent is { } next && _inFlight < window)
        {
            _unsent = next.Next;
            _inFlight++;
            Send(next.Value);
            sent = true;
        }
        return sent;
    }

    /// <summary>Takes an event out of the queue, and out of the window if it was in flight.</summary>
    private void Remove(LinkedListNode<PendingEvent> node)
    {
        if (node == _unsent)
        {
            _unsent = node.Next;
        }
        else if (node.Value.LastSentAt is not null)
        {
            _inFlight--;
        }
        _queue.Remove(node);
    }

    private void ClearQueue()
    {
        _queue.Clear();
        _unsent = null;
        _inFlight = 0;
    }

    /// <summary>
    /// Hands one pending event to the socket's gateway (one-way: a lost push is covered by the re-send). The first send
    /// of an event whose row has no first send time (it waited for the window) records it.
    /// </summary>
    private void Send(PendingEvent pending, bool retry = false)
    {
        pending.LastSentAt = time.GetUtcNow();
        _sentSinceTick = true;
        if (pending.FirstSentAt is null)
        {
            pending.FirstSentAt = pending.LastSentAt;
            _ = store.MarkFirstSentAsync(Key, pending.EventId, pending.FirstSentAt.Value);
        }
        var socket = _socket!;
        _ = _gateway!.Send(socket.SocketId, _pushes++, new Immutable<byte[]>(pending.Frame));
        if (retry)
        {
            metrics.EventResent();
        }
        else
        {
            metrics.EventSent();
        }
        if (pending.FirstSentTimestamp == 0)
        {
            pending.FirstSentTimestamp = metrics.Timestamp();
        }
    }

    /// <summary>
    /// The queue outgrew its bound while attached: drop it, flag, and close the socket so the tab re-syncs. The
    /// close waits for the flag to be durable, so the tab's next <c>auth_ok</c> is sure to say <c>need_full_sync</c>.
    /// </summary>
    private void Overflow()
    {
        Log.QueueOverflow(logger, Key, _queue.Count);
        metrics.FullSyncFlagged(FullSyncReason.QueueOverflow);
        var socket = _socket!;
        var flagged = DropQueueAndFlag();
        Release();
        _ = CloseWhenDurableAsync(flagged, socket, SessionCloseReason.QueueOverflow);
    }

    private async Task CloseWhenDurableAsync(Task durable, SocketLink socket, SessionCloseReason reason)
    {
        try
        {
            await durable.ConfigureAwait(true);
        }
        finally
        {
            _ = localGateway.Reach(socket).Close(socket.SocketId, reason);
        }
    }

    /// <summary>Falls back to a full sync: queue and inbox go, the flag is set. Returns when that is durable.</summary>
    private Task DropQueueAndFlag()
    {
        ClearQueue();
        StopRetryTimer();
        _ = store.ClearQueueAsync(Key, _record!.Epoch);
        _record = _record with { NeedFullSync = true, RetentionDeadline = null };
        return store.SaveSessionAsync(_record);
    }

    private void EnsureRetryTimer()
    {
        if (_retryTimer is null && _queue.Count > 0 && _socket is not null)
        {
            ScheduleRetry();
        }
    }

    /// <summary>
    /// Sets the re-send timer's next tick to the due time of the oldest event in flight. With none in flight, a tick
    /// (<paramref name="fromTick"/>) that followed a send keeps the timer one <see cref="DeliveryOptions.RetryInterval"/>
    /// on; otherwise the timer goes. A busy session (a user's events every few hundred milliseconds, each acked at once)
    /// thus keeps one timer that ticks once per interval, instead of a new timer (a registration and a work item to
    /// arm it) after every tick. Every event sent after a tick is due no earlier than that tick plus the interval, so
    /// the kept timer is never late; a session with no sends since its last tick stops ticking.
    /// </summary>
    private void ScheduleRetry(bool fromTick = false)
    {
        var sentSinceTick = _sentSinceTick;
        _sentSinceTick = false;
        DateTimeOffset? oldest = null;
        foreach (var pending in _queue)
        {
            if (pending.LastSentAt is { } sent && (oldest is null || sent < oldest))
            {
                oldest = sent;
            }
        }
        if (oldest is null)
        {
            if (fromTick && sentSinceTick && _retryTimer is not null)
            {
                _retryTimer.Change(Options.RetryInterval, Timeout.InfiniteTimeSpan);
                return;
            }
            StopRetryTimer();
            return;
        }
        var due = oldest.Value + Options.RetryInterval - time.GetUtcNow();
        if (due < TimeSpan.Zero)
        {
            due = TimeSpan.Zero;
        }
        if (_retryTimer is null)
        {
            // A grain timer: each tick is a turn of this grain, so a re-send never interleaves with a call.
            // A tick is an Orleans message to this grain, so the call filter counts it as a turn.
            _retryTimer = this.RegisterGrainTimer(static (grain, _) => grain.ResendDueAsync(), this, due, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _retryTimer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task ResendDueAsync()
    {
        if (_socket is null || _retryTimer is null)
        {
            return;
        }
        var now = time.GetUtcNow();
        var options = Options;
        for (var node = _queue.First; node is not null && node != _unsent; node = node.Next) // only what is in flight
        {
            var pending = node.Value;
            if (pending.LastSentAt is { } sent && now - sent < options.RetryInterval)
            {
                continue;
            }
            if (BudgetSpent(pending, now, options))
            {
                await GiveUpAsync(pending, now).ConfigureAwait(true);
                return;
            }
            pending.Resends++;
            Send(pending, retry: true);
        }
        ScheduleRetry(fromTick: true);
        if (_retryTimer is null)
        {
            ParkIfIdle(); // nothing in flight, nothing sent for a whole interval
        }
    }

    /// <summary>The attempt budget rule at the top of the class, for an event whose re-send is due.</summary>
    private static bool BudgetSpent(PendingEvent pending, DateTimeOffset now, DeliveryOptions options) => pending.FirstSentEarlier
        ? now - pending.FirstSentAt!.Value >= options.RetryInterval * (options.MaxAttempts + 1)
        : pending.Resends >= options.MaxAttempts;

    /// <summary>
    /// An event stayed unacked through its whole attempt budget: delete the session and its queue, then close the socket.
    /// The delete is durable before the close, so the tab's next <c>auth</c> cannot find the session any more.
    /// </summary>
    private async Task GiveUpAsync(PendingEvent pending, DateTimeOffset now)
    {
        Log.MaxAttemptsReached(logger, Key, pending.EventId, now - pending.FirstSentAt!.Value, pending.Resends);
        metrics.MaxAttemptsReached();
        StopRetryTimer();
        var deleted = store.DeleteSessionAsync(Key, _record!.Epoch);
        try
        {
            await deleted.ConfigureAwait(true);
        }
        finally
        {
            LoseSocket(SessionCloseReason.MaxAttemptsReached);
            LeaveIfDetached();
        }
    }

    private void StopRetryTimer()
    {
        _retryTimer?.Dispose();
        _retryTimer = null;
    }
}

/// <summary>What <see cref="ISessionGrain.EnqueueAsync"/> did with an event.</summary>
[GenerateSerializer, Alias("OrleansSync.EnqueueOutcome")]
public enum EnqueueOutcome
{
    /// <summary>Queued and sent to the attached socket.</summary>
    Queued,

    /// <summary>Not queued: the session will run a full sync anyway.</summary>
    NotQueued,

    /// <summary>No socket attached: use the inbox.</summary>
    NotAttached,
}
