using System.Data.Common;
using Microsoft.Extensions.Logging;

namespace OrleansSync.Storage.Ado;

/// <summary>
/// Group commit: writes queued while a transaction is in flight are committed together in the next one.
/// Every write of a batch but a queue insert shares one completion task, so queuing one costs a list slot, not a task.
/// Writes are applied in the order they were queued. An event acked while its queue row still waits in the batch
/// being filled is never written: the ack cancels the insert (a move out of the inbox becomes the drop of its inbox
/// row) and is not queued itself; a first-send mark for such a row goes into its insert. A queue insert has a completion of its own, which that ack completes at once: an
/// acked event needs no durable copy (its tab has it), so a publish is not held up by a commit that writes nothing
/// for it. With a commit delay, a batch smaller than the batch size waits up to that delay for more writes before it
/// starts: fewer, larger transactions, and more acks arrive in time. A batch that moves inbox rows or registers a
/// socket does not wait.
/// A batch that fails because the store cannot write (<see cref="StoreFaults"/>) fails its callers with a
/// <see cref="StoreUnavailableException"/>; its writes are not retried (a publish was told it failed, and retrying it
/// is the publisher's call). The writer goes on with the next batch on a fresh connection, and while its last attempt
/// failed and nothing is queued it commits a probe write every <see cref="ProbeInterval"/>, so that
/// <see cref="StoreHealth"/> learns the store recovered even when nobody writes.
/// </summary>
internal sealed partial class BatchWriter : IAsyncDisposable
{
    /// <summary>How often the writer probes the store while its last attempt failed and nothing is queued.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);

    private readonly SqlDialect _dialect;
    private readonly StoreFaults _faults;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private List<StoreWrite> _pending = new(256);
    private List<StoreWrite> _spare = new(256);
    // Queue rows (inserts, moves out of the inbox) of the batch being filled, by (session, event id), that an ack may
    // still cancel; swapped with the batch.
    private Dictionary<(string Session, string EventId), QueuedRow> _queuedRows = [];
    private Dictionary<(string Session, string EventId), QueuedRow> _spareQueuedRows = [];
    private TaskCompletionSource _batchDone = NewCompletion();
    private Task _inFlight = Task.CompletedTask;
    private bool _signaled;
    private readonly TimeSpan _commitDelay;
    private readonly int _commitBatchSize;
    private TaskCompletionSource? _batchFilled;
    private bool _flushNow;
    private bool _stopped;
    private readonly Func<Task>? _beforeReroutedComplete;
    // Owned by the loop.
    private DbConnection? _connection;
    private PreparedWrites? _commands;
    private bool _failing;

    /// <param name="dialect">The database.</param>
    /// <param name="faults">Tells store faults from other failures, and hears every outcome.</param>
    /// <param name="logger">Where failures go.</param>
    /// <param name="commitDelay">How long a small batch waits for more writes.</param>
    /// <param name="commitBatchSize">A batch this large goes at once.</param>
    /// <param name="beforeReroutedComplete">
    /// Runs after a batch in which queue inserts were fenced out into the inbox; those inserts complete when it has:
    /// whoever waits for them (a publish) hears they are durable only then.
    /// </param>
    public BatchWriter(SqlDialect dialect, StoreFaults faults, ILogger logger, TimeSpan commitDelay = default, int commitBatchSize = int.MaxValue,
        Func<Task>? beforeReroutedComplete = null)
    {
        _beforeReroutedComplete = beforeReroutedComplete;
        _dialect = dialect;
        _faults = faults;
        _logger = logger;
        _commitDelay = commitDelay;
        _commitBatchSize = commitBatchSize;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Raised after each commit with the number of writes and how long the commit took (metrics).</summary>
    public event Action<int, TimeSpan>? BatchCommitted;

    public Task Enqueue(in StoreWrite write)
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return Task.FromException(new ObjectDisposedException(nameof(BatchWriter), "The store is shutting down."));
            }
            if (write is { Kind: StoreWriteKind.DeleteEvent, EventId: { } acked } && _queuedRows.Remove((write.Key, acked), out var row))
            {
                CancelLocked(row);
                return _batchDone.Task;
            }
            if (write is { Kind: StoreWriteKind.MarkFirstSent, EventId: { } sent } && _queuedRows.TryGetValue((write.Key, sent), out var unsent))
            {
                // The row's insert has not gone yet: it carries the time itself (a mark only fills a missing time).
                var insert = _pending[unsent.Index];
                _pending[unsent.Index] = insert with { FirstSentAt = insert.FirstSentAt ?? write.FirstSentAt };
                return _batchDone.Task;
            }
            _pending.Add(write);
            if (!_signaled)
            {
                _signaled = true;
                _signal.Release();
            }
            // Worth a small batch: a row still in a session's inbox sends every later copy for that session through the
            // inbox too (order); a room call on another node looks a new socket up by its row.
            if (_pending.Count >= _commitBatchSize
                || write.Kind is StoreWriteKind.MoveInboxEvent or StoreWriteKind.DropInboxEvent or StoreWriteKind.UpsertSocket or StoreWriteKind.UpdateSocketSession)
            {
                CommitWithoutDelayLocked();
            }
            return TrackLocked(write);
        }
    }

    /// <summary>
    /// The task the caller of the write just queued waits for: a queue insert gets its own (completed at its commit, or
    /// earlier by an ack that cancels it); everything else shares the batch's. Under <c>_gate</c>.
    /// </summary>
    private Task TrackLocked(in StoreWrite write)
    {
        if (write is { Kind: StoreWriteKind.InsertEvent or StoreWriteKind.MoveInboxEvent, EventId: { } queued })
        {
            var settled = write.Kind == StoreWriteKind.InsertEvent ? NewCompletion() : null;
            if (_queuedRows.TryAdd((write.Key, queued), new QueuedRow(_pending.Count - 1, settled)) && settled is not null)
            {
                return settled.Task;
            }
        }
        return _batchDone.Task;
    }

    /// <summary>An ack for a row still waiting in the batch being filled: neither is written. Under <c>_gate</c>.</summary>
    private void CancelLocked(QueuedRow row)
    {
        var queued = _pending[row.Index];
        _pending[row.Index] = queued.Kind == StoreWriteKind.MoveInboxEvent
            ? new StoreWrite(StoreWriteKind.DropInboxEvent, queued.Key, InboxId: queued.InboxId) // the inbox row still goes
            : new StoreWrite(StoreWriteKind.None, queued.Key);
        row.Settled?.TrySetResult();
    }

    /// <summary>A queue row waiting in the batch being filled: where it is, and its insert's own completion (none for a move).</summary>
    private readonly record struct QueuedRow(int Index, TaskCompletionSource? Settled);

    /// <summary>
    /// Takes the completions of the fenced-out inserts out of <paramref name="queuedRows"/> (the batch's own, if one
    /// shared it) and completes them once <see cref="_beforeReroutedComplete"/> has run. Null if none.
    /// </summary>
    private List<TaskCompletionSource>? HoldRerouted(List<(string Session, string EventId)> rerouted,
        Dictionary<(string Session, string EventId), QueuedRow> queuedRows, TaskCompletionSource done)
    {
        if (rerouted.Count == 0 || _beforeReroutedComplete is null)
        {
            return null;
        }
        var held = new List<TaskCompletionSource>();
        foreach (var key in rerouted)
        {
            held.Add(queuedRows.Remove(key, out var row) && row.Settled is { } own ? own : done);
        }
        _ = CompleteAfterAsync(_beforeReroutedComplete, held);
        return held;
    }

    private async Task CompleteAfterAsync(Func<Task> announce, List<TaskCompletionSource> held)
    {
        try
        {
            await announce().ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            Log.RerouteAnnouncementFailed(_logger, exception); // the rows are durable; only the announcement failed
        }
        foreach (var completion in held)
        {
            completion.TrySetResult();
        }
    }

    /// <summary>
    /// Completes (never faults) once every write queued before the call has been committed or has failed: a
    /// read that must see this node's own earlier writes (a claim bumping the epoch) waits for it first. A batch
    /// waiting out the commit delay goes at once: someone is waiting for it.
    /// </summary>
    public Task WhenDrained()
    {
        Task last;
        lock (_gate)
        {
            last = _pending.Count > 0 ? _batchDone.Task : _inFlight;
            if (_pending.Count > 0)
            {
                CommitWithoutDelayLocked();
            }
        }
        return last.IsCompleted ? Task.CompletedTask : last.ContinueWith(static _ => { }, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task RunAsync()
    {
        while (true)
        {
            if (!await WaitForWritesAsync().ConfigureAwait(false))
            {
                await ProbeAsync().ConfigureAwait(false);
                continue;
            }
            await WaitForFullerBatchAsync().ConfigureAwait(false);
            List<StoreWrite> batch;
            TaskCompletionSource done;
            Dictionary<(string Session, string EventId), QueuedRow> queuedRows;
            lock (_gate)
            {
                batch = _pending;
                _pending = _spare;
                _spare = batch;
                queuedRows = _queuedRows;
                _queuedRows = _spareQueuedRows;
                _spareQueuedRows = queuedRows;
                done = _batchDone;
                _inFlight = done.Task;
                _batchDone = NewCompletion();
                _signaled = false;
                _flushNow = false;
            }
            if (batch.Count > 0)
            {
                try
                {
                    _connection ??= await _dialect.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
                    _commands ??= new PreparedWrites(_connection, _dialect);
                    var started = System.Diagnostics.Stopwatch.GetTimestamp();
                    await _commands.ExecuteAsync(batch).ConfigureAwait(false);
                    BatchCommitted?.Invoke(batch.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started));
                    Succeeded();
                    var held = HoldRerouted(_commands.Rerouted, queuedRows, done);
                    foreach (var row in queuedRows.Values)
                    {
                        row.Settled?.TrySetResult();
                    }
                    if (held is null || !held.Contains(done))
                    {
                        done.TrySetResult();
                    }
                }
                catch (Exception exception)
                {
                    var failure = await FailedAsync(exception).ConfigureAwait(false);
                    if (failure is StoreUnavailableException)
                    {
                        Log.BatchRefused(_logger, batch.Count, failure.Message);
                    }
                    else
                    {
                        Log.BatchFailed(_logger, batch.Count, exception);
                    }
                    foreach (var row in queuedRows.Values)
                    {
                        row.Settled?.TrySetException(failure);
                    }
                    done.TrySetException(failure);
                }
                batch.Clear();
            }
            else
            {
                done.TrySetResult();
            }
            queuedRows.Clear();
            if (_stopping.IsCancellationRequested)
            {
                lock (_gate)
                {
                    if (_pending.Count == 0)
                    {
                        _stopped = true;
                        break;
                    }
                }
            }
        }
        await DropConnectionAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Waits for queued writes: true when there are some (or the writer stops, to flush once more); false when the
    /// last attempt failed and nothing came within <see cref="ProbeInterval"/> (time to probe).
    /// </summary>
    private async Task<bool> WaitForWritesAsync()
    {
        try
        {
            if (!_failing)
            {
                await _signal.WaitAsync(_stopping.Token).ConfigureAwait(false);
                return true;
            }
            return await _signal.WaitAsync(ProbeInterval, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return true; // fall through once more to flush what was queued before the stop
        }
    }

    /// <summary>A write of no consequence (<see cref="SqlDialect.ProbeWrite"/>), to learn whether the store takes writes again.</summary>
    private async Task ProbeAsync()
    {
        try
        {
            _connection ??= await _dialect.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
            await using var transaction = await _connection.BeginTransactionAsync().ConfigureAwait(false);
            await SqlCommands.ExecuteAsync(_connection, transaction, _dialect.ProbeWrite, CancellationToken.None,
                ("probe_id", "probe-" + Guid.NewGuid().ToString("N"))).ConfigureAwait(false);
            await transaction.CommitAsync().ConfigureAwait(false);
            Succeeded();
        }
        catch (Exception exception)
        {
            if (await FailedAsync(exception).ConfigureAwait(false) is not StoreUnavailableException)
            {
                Log.ProbeFailed(_logger, exception);
            }
        }
    }

    private void Succeeded()
    {
        _failing = false;
        _faults.Succeeded(StoreWritePath.GroupCommit);
    }

    /// <summary>
    /// After a failed attempt: the next one starts from a fresh connection (this one may be broken, or opened while the
    /// database could not write), and a store fault is reported. Returns what the callers of the batch get.
    /// </summary>
    private async Task<Exception> FailedAsync(Exception exception)
    {
        await DropConnectionAsync().ConfigureAwait(false);
        if (_faults.Describe(exception) is not { } reason)
        {
            return exception;
        }
        _failing = true;
        return _faults.Unavailable(reason, exception, StoreWritePath.GroupCommit);
    }

    private async Task DropConnectionAsync()
    {
        _commands?.Dispose();
        _commands = null;
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
        }
    }

    /// <summary>The batch being filled goes without waiting out the delay (ends a wait already running). Under <c>_gate</c>.</summary>
    private void CommitWithoutDelayLocked()
    {
        _flushNow = true;
        _batchFilled?.TrySetResult();
        _batchFilled = null;
    }

    /// <summary>Waits up to the commit delay unless the batch was told to go at once (full, urgent, awaited) or the writer stops.</summary>
    private async Task WaitForFullerBatchAsync()
    {
        if (_commitDelay <= TimeSpan.Zero)
        {
            return;
        }
        Task filled;
        lock (_gate)
        {
            if (_flushNow || _stopping.IsCancellationRequested)
            {
                return;
            }
            _batchFilled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            filled = _batchFilled.Task;
        }
        // WhenAny never throws: a stop cancels the delay and the batch goes at once.
        await Task.WhenAny(filled, Task.Delay(_commitDelay, _stopping.Token)).ConfigureAwait(false);
        lock (_gate)
        {
            _batchFilled = null;
        }
    }

    /// <summary>Flushes what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stopping.Cancel();
        await _loop.ConfigureAwait(false);
    }

    private int _disposed;

    private static TaskCompletionSource NewCompletion() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Store batch of {Count} writes failed; its callers see the error.")]
        public static partial void BatchFailed(ILogger logger, int count, Exception exception);

        [LoggerMessage(3, LogLevel.Debug, "Store batch of {Count} writes refused: {Reason}")]
        public static partial void BatchRefused(ILogger logger, int count, string reason);

        [LoggerMessage(4, LogLevel.Debug, "The store probe failed for another reason than a store fault; probing again.")]
        public static partial void ProbeFailed(ILogger logger, Exception exception);

        [LoggerMessage(2, LogLevel.Warning, "Announcing queue writes fenced out into the inbox failed; they are durable.")]
        public static partial void RerouteAnnouncementFailed(ILogger logger, Exception exception);
    }
}
