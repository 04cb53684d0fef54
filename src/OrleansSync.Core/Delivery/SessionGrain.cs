using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSync.Diagnostics;
using OrleansSync.Runtime;
using OrleansSync.Storage;

namespace OrleansSync.Delivery;

/// <summary>
/// One reliable session (one tab or device) while its socket is attached to this node: the ordered queue of
/// unacked events, the <c>need_full_sync</c> flag, the retry timer and the socket's observer.
/// Recovery rules, in one place:
/// <list type="bullet">
/// <item>Attaching claims the session in the store (owner = this node, epoch + 1) and reads its queue and inbox
/// there, so an attach always starts from the durable truth, whichever node held the session before.</item>
/// <item>Attached: every event is sent at once and re-sent each <see cref="DeliveryOptions.RetryInterval"/>
/// until acked; after <see cref="DeliveryOptions.MaxAttempts"/> re-sends the socket is closed and the session deleted.</item>
/// <item>Detached: the grain holds nothing that matters; events wait in the session's durable inbox until the
/// retention deadline. A resume before it replays queue and inbox in order with <c>need_full_sync: false</c>.
/// Past it (or past the queue bound) everything is dropped and the flag set.</item>
/// <item>Flag set and detached: nothing is queued any more, since the tab re-reads its state anyway.</item>
/// <item>Every write carries the epoch of the claim; a write from a node that lost the session is refused.</item>
/// </list>
/// </summary>
public sealed partial class SessionGrain(ISessionStore store, IOptionsMonitor<DeliveryOptions> options, TimeProvider time,
    string nodeId, IClusterSignals signals, ISessionListInvalidation sessionLists, ILogger<SessionGrain> logger, SyncMetrics metrics) : Grain
{
    private readonly LinkedList<PendingEvent> _queue = new();
    private SessionRecord? _record;
    private long _nextSequence;
    private ISessionObserver? _observer;
    private ITimer? _retryTimer;

    /// <summary>
    /// Inbox rows this attachment already moved or dropped. Their deletion is a batched write, so a drain that
    /// runs before it commits still reads them; without this, an event acked meanwhile would be sent again.
    /// </summary>
    private Dictionary<long, DateTimeOffset>? _handledInbox; // created by the first inbox event (most sessions never get one)
    private static readonly TimeSpan HandledInboxMemory = TimeSpan.FromSeconds(30);

    private DeliveryOptions Options => options.CurrentValue;

    /// <inheritdoc />
    protected internal override bool CanDeactivate => _observer is null;

    /// <summary>Number of events waiting for an ack (for tests and metrics).</summary>
    public int QueuedCount => _queue.Count;

    /// <summary>True while a socket is attached (read outside turns by gauges; may be a moment stale).</summary>
    public bool IsAttached => _observer is not null;

    /// <summary>Metrics timestamp of the oldest queued event, 0 if none (read outside turns by gauges).</summary>
    public long OldestQueuedTimestamp => _queue.First?.Value.EnqueuedTimestamp ?? 0;

    /// <inheritdoc />
    protected internal override ValueTask OnDeactivateAsync()
    {
        StopRetryTimer();
        return default;
    }

    /// <summary>Creates this session for <paramref name="userId"/>, detached and flagged <c>need_full_sync</c> (a new tab knows nothing yet).</summary>
    public async ValueTask<bool> CreateAsync(string userId)
    {
        await store.CreateSessionAsync(new SessionRecord(Key, userId, NeedFullSync: true, RetentionDeadline: null)).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Attaches a socket: claims the session for this node and replays what is queued. False if the session does
    /// not exist or belongs to another user: it is then left untouched.
    /// </summary>
    public async ValueTask<bool> ResumeAsync(string userId, ISessionObserver observer)
    {
        var claimed = await store.ClaimSessionAsync(Key, userId, nodeId).ConfigureAwait(false);
        if (claimed is null)
        {
            return false; // unknown, or another user's: the current socket (if any) is untouched
        }
        // Before the tab hears auth_ok (and may rely on every later publish reaching this session, through this node):
        // no node still routes the user's publishes by a list without it, or with its old owner.
        await sessionLists.ForgetEverywhereAsync([userId]).ConfigureAwait(false);
        if (_observer is { } previous && !ReferenceEquals(previous, observer))
        {
            Log.SessionReplaced(logger, Key, Ids.LogTag(previous.SocketId), Ids.LogTag(observer.SocketId));
            LoseSocket(SessionCloseReason.Replaced);
        }
        if (claimed.PreviousOwner is { } previousOwner && previousOwner != nodeId)
        {
            signals.SessionClaimed(previousOwner, Key);
        }
        _record = claimed.Session;
        LoadQueue(claimed);
        _observer = observer;
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
        Attach();
        return true;
    }

    /// <summary>The socket is gone: the session is released and its retention clock starts. Ignored if another socket took over.</summary>
    public ValueTask DetachAsync(ISessionObserver observer)
    {
        if (ReferenceEquals(_observer, observer))
        {
            Release();
        }
        return default;
    }

    /// <summary>
    /// Queues an event for the attached socket and sends it. <see cref="EnqueueOutcome.NotAttached"/> tells the
    /// caller to use the session's inbox instead. The result's task completes when the event is durable, or once the
    /// tab acked it if that comes first (see <see cref="ISessionStore.AppendEventAsync"/>).
    /// </summary>
    public ValueTask<EnqueueResult> EnqueueAsync(string eventId, byte[] frame)
    {
        if (_observer is null || _record is null)
        {
            return ValueTask.FromResult(EnqueueResult.NotAttached);
        }
        if (_queue.Count >= Options.MaxQueuedPerSession)
        {
            Overflow();
            return ValueTask.FromResult(EnqueueResult.NotQueued);
        }
        var pending = NewPending(eventId, frame);
        var durable = store.AppendEventAsync(Key, _record.Epoch, pending.Sequence, eventId, frame);
        if (Send(pending))
        {
            EnsureRetryTimer();
        }
        return ValueTask.FromResult(new EnqueueResult(EnqueueOutcome.Queued, durable));
    }

    /// <summary>
    /// Moves inbox events already read (by the node's batched drain) into the queue and sends them. Rows this
    /// attachment handled before are skipped, so a row read twice before its deletion commits is sent once.
    /// </summary>
    public ValueTask<int> AcceptInboxAsync(IReadOnlyList<InboxEvent> events)
    {
        if (_observer is null || _record is null)
        {
            return ValueTask.FromResult(0);
        }
        var moved = 0;
        ForgetOldHandledInbox();
        foreach (var inbox in events)
        {
            if (_observer is null)
            {
                break; // the socket went away while we were reading (overflow, slow consumer)
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
            var pending = NewPending(inbox.EventId, inbox.Frame);
            _ = store.MoveInboxEventAsync(Key, _record.Epoch, inbox.Id, pending.Sequence, inbox.EventId, inbox.Frame);
            moved++;
            if (!Send(pending))
            {
                break;
            }
        }
        EnsureRetryTimer();
        return ValueTask.FromResult(moved);
    }

    /// <summary>Removes the acked event. Unknown and duplicate acks are ignored (and cost no write).</summary>
    public ValueTask<bool> AckAsync(string eventId)
    {
        for (var node = _queue.First; node is not null; node = node.Next)
        {
            if (string.Equals(node.Value.EventId, eventId, StringComparison.Ordinal))
            {
                _queue.Remove(node);
                _ = store.RemoveEventAsync(Key, eventId);
                metrics.EventAcked(node.Value.FirstSentTimestamp);
                return ValueTask.FromResult(true);
            }
        }
        return ValueTask.FromResult(false);
    }

    /// <summary>
    /// Ownership backstop: the store says another node owns this session (a missed wake-up). The socket here
    /// closes as replaced; nothing is written, since this node's epoch is no longer valid.
    /// </summary>
    public ValueTask<bool> LoseOwnershipAsync()
    {
        if (_observer is null)
        {
            return ValueTask.FromResult(false);
        }
        Log.OwnershipLost(logger, Key);
        LoseSocket(SessionCloseReason.Replaced);
        return ValueTask.FromResult(true);
    }

    private void LoadQueue(ClaimedSession claimed)
    {
        _queue.Clear();
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
            _queue.AddLast(new PendingEvent(stored.Sequence, stored.EventId, stored.Frame) { EnqueuedTimestamp = metrics.Timestamp() });
            _nextSequence = stored.Sequence + 1;
        }
        foreach (var inbox in claimed.Inbox)
        {
            if (Contains(inbox.EventId))
            {
                _ = store.DropInboxEventAsync(inbox.Id);
                continue;
            }
            var pending = NewPending(inbox.EventId, inbox.Frame);
            _ = store.MoveInboxEventAsync(Key, claimed.Session.Epoch, inbox.Id, pending.Sequence, inbox.EventId, inbox.Frame);
        }
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

    private PendingEvent NewPending(string eventId, byte[] frame)
    {
        var pending = new PendingEvent(_nextSequence++, eventId, frame) { EnqueuedTimestamp = metrics.Timestamp() };
        _queue.AddLast(pending);
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

    /// <summary>Reports and clears the flag, then replays the queue in order.</summary>
    private void Attach()
    {
        var record = _record!;
        var observer = _observer!;
        _record = record with { NeedFullSync = false, RetentionDeadline = null, OwnerNode = nodeId };
        _ = store.SaveSessionAsync(_record);
        observer.OnSessionOpened(new SessionOpened(Key, record.UserId, record.NeedFullSync));
        Log.SessionAttached(logger, Key, record.UserId, Ids.LogTag(observer.SocketId), record.NeedFullSync, _queue.Count);
        foreach (var pending in _queue)
        {
            if (!Send(pending))
            {
                return;
            }
        }
        EnsureRetryTimer();
    }

    /// <summary>The socket is gone: release the session with its retention clock running (unless it needs a full sync anyway).</summary>
    private void Release()
    {
        _observer = null;
        StopRetryTimer();
        var record = _record!;
        _record = record with
        {
            OwnerNode = null,
            RetentionDeadline = record.NeedFullSync ? null : time.GetUtcNow() + Options.RetentionWindow,
        };
        _ = store.SaveSessionAsync(_record);
        _queue.Clear(); // the durable queue is the truth from here on; the next attach reads it back
    }

    /// <summary>Closes the socket without writing anything (another node or socket owns the session now).</summary>
    private void LoseSocket(SessionCloseReason reason)
    {
        var observer = _observer!;
        _observer = null;
        StopRetryTimer();
        _queue.Clear();
        _record = null;
        observer.Close(reason);
    }

    /// <summary>Writes one pending event to the socket. A full outbound buffer closes the socket (slow consumer).</summary>
    private bool Send(PendingEvent pending, bool retry = false)
    {
        pending.LastSentAt = time.GetUtcNow();
        if (_observer!.TrySend(pending.Frame))
        {
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
            return true;
        }
        var slow = _observer;
        Log.SlowConsumer(logger, Key, Ids.LogTag(slow.SocketId));
        Release();
        slow.Close(SessionCloseReason.SlowConsumer);
        return false;
    }

    /// <summary>
    /// The queue outgrew its bound while attached: drop it, flag, and close the socket so the tab re-syncs. The
    /// close waits for the flag to be durable, so the tab's next <c>auth_ok</c> is sure to say <c>need_full_sync</c>.
    /// </summary>
    private void Overflow()
    {
        Log.QueueOverflow(logger, Key, _queue.Count);
        metrics.FullSyncFlagged(FullSyncReason.QueueOverflow);
        var observer = _observer!;
        var flagged = DropQueueAndFlag();
        Release();
        _ = CloseWhenDurableAsync(flagged, observer, SessionCloseReason.QueueOverflow);
    }

    private static async Task CloseWhenDurableAsync(Task durable, ISessionObserver observer, SessionCloseReason reason)
    {
        try
        {
            await durable.ConfigureAwait(false);
        }
        finally
        {
            observer.Close(reason);
        }
    }

    /// <summary>Falls back to a full sync: queue and inbox go, the flag is set. Returns when that is durable.</summary>
    private Task DropQueueAndFlag()
    {
        _queue.Clear();
        StopRetryTimer();
        _ = store.ClearQueueAsync(Key, _record!.Epoch);
        _record = _record with { NeedFullSync = true, RetentionDeadline = null };
        return store.SaveSessionAsync(_record);
    }

    private void EnsureRetryTimer()
    {
        if (_retryTimer is null && _queue.Count > 0 && _observer is not null)
        {
            ScheduleRetry();
        }
    }

    private void ScheduleRetry()
    {
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
            _retryTimer = time.CreateTimer(static state => ((SessionGrain)state!).OnRetryTimerFired(), this, due, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _retryTimer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnRetryTimerFired() => _ = RunInTurnAsync(ResendDueAsync);

    private async ValueTask ResendDueAsync()
    {
        if (_observer is null || _retryTimer is null)
        {
            return;
        }
        var now = time.GetUtcNow();
        var options = Options;
        foreach (var pending in _queue)
        {
            if (pending.LastSentAt is { } sent && now - sent < options.RetryInterval)
            {
                continue;
            }
            if (pending.Resends >= options.MaxAttempts)
            {
                await GiveUpAsync(pending).ConfigureAwait(false);
                return;
            }
            pending.Resends++;
            if (!Send(pending, retry: true))
            {
                return;
            }
        }
        ScheduleRetry();
    }

    /// <summary>
    /// An event stayed unacked through every re-send: delete the session and its queue, then close the socket.
    /// The delete is durable before the close, so the tab's next <c>auth</c> cannot find the session any more.
    /// </summary>
    private async ValueTask GiveUpAsync(PendingEvent pending)
    {
        Log.MaxAttemptsReached(logger, Key, pending.EventId, pending.Resends);
        metrics.MaxAttemptsReached();
        StopRetryTimer();
        var deleted = store.DeleteSessionAsync(Key, _record!.Epoch);
        try
        {
            await deleted.ConfigureAwait(false);
        }
        finally
        {
            LoseSocket(SessionCloseReason.MaxAttemptsReached);
        }
    }

    private void StopRetryTimer()
    {
        _retryTimer?.Dispose();
        _retryTimer = null;
    }
}

/// <summary>Outcome of <see cref="SessionGrain.EnqueueAsync"/>.</summary>
/// <param name="Outcome">What happened to the event in this session.</param>
/// <param name="Durable">Completes when the queued event is durable, or acked by its tab before it was written.</param>
public readonly record struct EnqueueResult(EnqueueOutcome Outcome, Task Durable)
{
    /// <summary>No socket is attached here: the caller puts the event in the session's inbox.</summary>
    public static EnqueueResult NotAttached => new(EnqueueOutcome.NotAttached, Task.CompletedTask);

    /// <summary>The queue overflowed: the session will run a full sync, so nothing was queued.</summary>
    public static EnqueueResult NotQueued => new(EnqueueOutcome.NotQueued, Task.CompletedTask);
}

/// <summary>What <see cref="SessionGrain.EnqueueAsync"/> did with an event.</summary>
public enum EnqueueOutcome
{
    /// <summary>Queued and sent to the attached socket.</summary>
    Queued,

    /// <summary>Not queued: the session will run a full sync anyway.</summary>
    NotQueued,

    /// <summary>No socket attached on this node: use the inbox.</summary>
    NotAttached,
}
