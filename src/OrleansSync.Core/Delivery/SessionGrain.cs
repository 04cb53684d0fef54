using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSync.Diagnostics;
using OrleansSync.Runtime;
using OrleansSync.Storage;

namespace OrleansSync.Delivery;

/// <summary>
/// One reliable session (one tab or device): its ordered queue of unacked events, the
/// <c>need_full_sync</c> flag, the retry timer and the attached socket's observer.
/// Recovery rules, in one place:
/// <list type="bullet">
/// <item>Attached: every event is sent at once and re-sent each <see cref="DeliveryOptions.RetryInterval"/>
/// until acked; after <see cref="DeliveryOptions.MaxAttempts"/> re-sends the socket is closed and the session deleted.</item>
/// <item>Detached: events queue until the retention deadline; a resume before it replays them in order
/// with <c>need_full_sync: false</c>. Past it (or past the queue bound) the queue is dropped and the flag set.</item>
/// <item>Flag set and detached: nothing is queued any more, since the tab re-reads its state anyway.</item>
/// </list>
/// </summary>
public sealed partial class SessionGrain(ISessionStore store, IOptionsMonitor<DeliveryOptions> options, TimeProvider time,
    Lazy<GrainDirectory<UserGrain>> users, ILogger<SessionGrain> logger, SyncMetrics metrics) : Grain
{
    private readonly LinkedList<PendingEvent> _queue = new();
    private SessionRecord? _record;
    private long _nextSequence;
    private ISessionObserver? _observer;
    private ITimer? _retryTimer;

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
    protected internal override async ValueTask OnActivateAsync(CancellationToken cancellationToken)
    {
        _record = await store.LoadSessionAsync(Key, cancellationToken).ConfigureAwait(false);
        if (_record is null)
        {
            return;
        }
        foreach (var stored in await store.LoadQueueAsync(Key, cancellationToken).ConfigureAwait(false))
        {
            _queue.AddLast(new PendingEvent(stored.Sequence, stored.EventId, stored.Frame) { EnqueuedTimestamp = metrics.Timestamp() });
            _nextSequence = stored.Sequence + 1;
        }
    }

    /// <inheritdoc />
    protected internal override ValueTask OnDeactivateAsync()
    {
        StopRetryTimer();
        return default;
    }

    /// <summary>
    /// Creates this session for <paramref name="userId"/>, flagged <c>need_full_sync</c> (a new tab knows nothing yet).
    /// False if the id is already taken.
    /// </summary>
    public ValueTask<bool> CreateAsync(string userId)
    {
        if (_record is not null)
        {
            return ValueTask.FromResult(false);
        }
        _record = new SessionRecord(Key, userId, NeedFullSync: true, RetentionDeadline: null);
        _ = store.SaveSessionAsync(_record);
        return ValueTask.FromResult(true);
    }

    /// <summary>
    /// Resumes this session for <paramref name="userId"/> on a new socket. False if the session does not
    /// exist or belongs to another user: it is then left untouched.
    /// </summary>
    public ValueTask<bool> ResumeAsync(string userId, ISessionObserver observer)
    {
        if (_record is null || !string.Equals(_record.UserId, userId, StringComparison.Ordinal))
        {
            return ValueTask.FromResult(false);
        }
        if (_observer is { } previous && !ReferenceEquals(previous, observer))
        {
            Log.SessionReplaced(logger, Key, previous.SocketId, observer.SocketId);
            previous.Close(SessionCloseReason.Replaced);
            _observer = null;
        }
        ExpireIfPastRetention();
        Attach(observer);
        return ValueTask.FromResult(true);
    }

    /// <summary>The socket is gone: the retention clock starts. Ignored if another socket took over meanwhile.</summary>
    public ValueTask DetachAsync(ISessionObserver observer)
    {
        if (ReferenceEquals(_observer, observer))
        {
            DetachObserver();
        }
        return default;
    }

    /// <summary>
    /// Queues an event (and sends it if a socket is attached). The result tells whether the session
    /// exists; its task completes when the event is durable (or at once if nothing had to be stored).
    /// </summary>
    public ValueTask<EnqueueResult> EnqueueAsync(string eventId, byte[] frame)
    {
        if (_record is null)
        {
            return ValueTask.FromResult(EnqueueResult.NoSession);
        }
        if (_observer is null)
        {
            ExpireIfPastRetention();
            if (_record.NeedFullSync)
            {
                return ValueTask.FromResult(EnqueueResult.NotQueued);
            }
        }
        if (_queue.Count >= Options.MaxQueuedPerSession)
        {
            Log.QueueOverflow(logger, Key, _queue.Count);
            var overflowObserver = _observer;
            DropQueueAndFlag(FullSyncReason.QueueOverflow);
            overflowObserver?.Close(SessionCloseReason.QueueOverflow);
            return ValueTask.FromResult(EnqueueResult.NotQueued);
        }
        var pending = new PendingEvent(_nextSequence++, eventId, frame) { EnqueuedTimestamp = metrics.Timestamp() };
        _queue.AddLast(pending);
        var durable = store.AppendEventAsync(Key, pending.Sequence, eventId, frame);
        if (_observer is not null && Send(pending))
        {
            EnsureRetryTimer();
        }
        return ValueTask.FromResult(new EnqueueResult(EnqueueOutcome.Queued, durable));
    }

    /// <summary>Removes the acked event. Unknown and duplicate acks are ignored.</summary>
    public ValueTask<bool> AckAsync(string eventId)
    {
        for (var node = _queue.First; node is not null; node = node.Next)
        {
            if (string.Equals(node.Value.EventId, eventId, StringComparison.Ordinal))
            {
                _queue.Remove(node);
                _ = store.RemoveEventAsync(Key, node.Value.Sequence);
                metrics.EventAcked(node.Value.FirstSentTimestamp);
                return ValueTask.FromResult(true);
            }
        }
        return ValueTask.FromResult(false);
    }

    /// <summary>Sweeper entry: drops the queue if the session is detached past its retention deadline.</summary>
    public ValueTask ExpireIfDueAsync()
    {
        if (_record is not null && _observer is null)
        {
            ExpireIfPastRetention();
        }
        return default;
    }

    private void Attach(ISessionObserver observer)
    {
        var record = _record!;
        _observer = observer;
        // The flag is reported once, then cleared; the socket is attached, so no retention clock runs.
        _record = record with { NeedFullSync = false, RetentionDeadline = null };
        _ = store.SaveSessionAsync(_record);
        observer.OnSessionOpened(new SessionOpened(Key, record.UserId, record.NeedFullSync));
        Log.SessionAttached(logger, Key, record.UserId, observer.SocketId, record.NeedFullSync, _queue.Count);
        foreach (var pending in _queue)
        {
            if (!Send(pending))
            {
                return;
            }
        }
        EnsureRetryTimer();
    }

    private void DetachObserver()
    {
        _observer = null;
        StopRetryTimer();
        if (_record is { NeedFullSync: false } record)
        {
            _record = record with { RetentionDeadline = time.GetUtcNow() + Options.RetentionWindow };
            _ = store.SaveSessionAsync(_record);
        }
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
        Log.SlowConsumer(logger, Key, slow.SocketId);
        DetachObserver();
        slow.Close(SessionCloseReason.SlowConsumer);
        return false;
    }

    private void ExpireIfPastRetention()
    {
        if (_record is { RetentionDeadline: { } deadline } && time.GetUtcNow() >= deadline)
        {
            Log.RetentionExpired(logger, Key, _queue.Count);
            metrics.SessionExpired();
            DropQueueAndFlag(FullSyncReason.Retention);
        }
    }

    /// <summary>Falls back to a full sync: the queue goes, the flag is set, and no retention clock is needed any more.</summary>
    private void DropQueueAndFlag(FullSyncReason reason)
    {
        metrics.FullSyncFlagged(reason);
        _queue.Clear();
        _observer = null;
        StopRetryTimer();
        _ = store.ClearQueueAsync(Key);
        _record = _record! with { NeedFullSync = true, RetentionDeadline = null };
        _ = store.SaveSessionAsync(_record);
    }

    private void EnsureRetryTimer()
    {
        if (_retryTimer is null && _queue.Count > 0)
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

    private ValueTask ResendDueAsync()
    {
        if (_observer is null || _retryTimer is null)
        {
            return default;
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
                GiveUp(pending);
                return default;
            }
            pending.Resends++;
            if (!Send(pending, retry: true))
            {
                return default;
            }
        }
        ScheduleRetry();
        return default;
    }

    /// <summary>An event stayed unacked through every re-send: close the socket, delete the session and its queue.</summary>
    private void GiveUp(PendingEvent pending)
    {
        var record = _record!;
        Log.MaxAttemptsReached(logger, Key, pending.EventId, pending.Resends);
        metrics.MaxAttemptsReached();
        var observer = _observer!;
        _observer = null;
        StopRetryTimer();
        _queue.Clear();
        _record = null;
        _ = store.DeleteSessionAsync(Key);
        observer.Close(SessionCloseReason.MaxAttemptsReached);
        // Posted, not awaited: a session never waits on its user's grain (the user grain calls sessions).
        _ = users.Value.CallAsync(record.UserId, Key, static (user, sessionId) => user.RemoveSessionAsync(sessionId)).AsTask();
    }

    private void StopRetryTimer()
    {
        _retryTimer?.Dispose();
        _retryTimer = null;
    }
}

/// <summary>Outcome of <see cref="SessionGrain.EnqueueAsync"/>.</summary>
/// <param name="Outcome">What happened to the event in this session.</param>
/// <param name="Durable">Completes when the queued event is durable.</param>
public readonly record struct EnqueueResult(EnqueueOutcome Outcome, Task Durable)
{
    /// <summary>The session does not exist (any more).</summary>
    public static EnqueueResult NoSession => new(EnqueueOutcome.NoSession, Task.CompletedTask);

    /// <summary>The session exists but needs a full sync, so nothing was queued.</summary>
    public static EnqueueResult NotQueued => new(EnqueueOutcome.NotQueued, Task.CompletedTask);
}

/// <summary>What <see cref="SessionGrain.EnqueueAsync"/> did with an event.</summary>
public enum EnqueueOutcome
{
    /// <summary>Queued (and sent if a socket is attached).</summary>
    Queued,

    /// <summary>Not queued: the session will run a full sync anyway.</summary>
    NotQueued,

    /// <summary>The session does not exist.</summary>
    NoSession,
}
