using System.Data.Common;
using Microsoft.Extensions.Logging;

namespace OrleansSync.Storage.Ado;

/// <summary>
/// Group commit: writes queued while a transaction is in flight are committed together in the next one.
/// Every write of a batch shares one completion task, so queuing a write costs a list slot, not a task.
/// Writes are applied in the order they were queued. With a commit delay, a batch smaller than the batch size
/// waits up to that delay for more writes before it starts: fewer, larger transactions, and an event acked
/// within the delay is never written at all (its insert and delete cancel out in the batch). A batch that moves
/// inbox rows or registers a socket does not wait. A queue insert has a completion of its own, which an ack queued
/// while the insert still waits for its batch completes at once: an acked event needs no durable copy (its tab has
/// it), so a publish is not held up by a commit that will write nothing for it.
/// </summary>
internal sealed partial class BatchWriter : IAsyncDisposable
{
    private readonly SqlDialect _dialect;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private List<StoreWrite> _pending = new(256);
    private List<StoreWrite> _spare = new(256);
    // Queue inserts of the batch being filled, by (session, event id), that an ack may still settle; swapped with the batch.
    private Dictionary<(string Session, string EventId), TaskCompletionSource> _unsettled = [];
    private Dictionary<(string Session, string EventId), TaskCompletionSource> _spareUnsettled = [];
    private TaskCompletionSource _batchDone = NewCompletion();
    private Task _inFlight = Task.CompletedTask;
    private bool _signaled;
    private readonly TimeSpan _commitDelay;
    private readonly int _commitBatchSize;
    private TaskCompletionSource? _batchFilled;
    private bool _flushNow;
    private bool _stopped;

    public BatchWriter(SqlDialect dialect, ILogger logger, TimeSpan commitDelay = default, int commitBatchSize = int.MaxValue)
    {
        _dialect = dialect;
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
            return SettlementLocked(write);
        }
    }

    /// <summary>
    /// The task the write's caller waits for. A queue insert gets its own (completed at its commit, or earlier by an
    /// ack queued behind it in the same batch); everything else shares the batch's. Under <c>_gate</c>.
    /// </summary>
    private Task SettlementLocked(in StoreWrite write)
    {
        if (write is { Kind: StoreWriteKind.InsertEvent, EventId: { } inserted })
        {
            var settled = NewCompletion();
            if (_unsettled.TryAdd((write.Key, inserted), settled))
            {
                return settled.Task;
            }
        }
        else if (write is { Kind: StoreWriteKind.DeleteEvent, EventId: { } acked } && _unsettled.Remove((write.Key, acked), out var insert))
        {
            insert.TrySetResult(); // the pair cancels at execution (PreparedWrites): nothing left to wait for
        }
        return _batchDone.Task;
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
        DbConnection? connection = null;
        PreparedWrites? commands = null;
        while (true)
        {
            try
            {
                await _signal.WaitAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Fall through once more to flush what was queued before the stop.
            }
            await WaitForFullerBatchAsync().ConfigureAwait(false);
            List<StoreWrite> batch;
            TaskCompletionSource done;
            Dictionary<(string Session, string EventId), TaskCompletionSource> unsettled;
            lock (_gate)
            {
                batch = _pending;
                _pending = _spare;
                _spare = batch;
                unsettled = _unsettled;
                _unsettled = _spareUnsettled;
                _spareUnsettled = unsettled;
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
                    connection ??= await _dialect.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
                    commands ??= new PreparedWrites(connection, _dialect);
                    var started = System.Diagnostics.Stopwatch.GetTimestamp();
                    await commands.ExecuteAsync(batch).ConfigureAwait(false);
                    BatchCommitted?.Invoke(batch.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started));
                    foreach (var insert in unsettled.Values)
                    {
                        insert.TrySetResult();
                    }
                    done.TrySetResult();
                }
                catch (Exception exception)
                {
                    Log.BatchFailed(_logger, batch.Count, exception);
                    foreach (var insert in unsettled.Values)
                    {
                        insert.TrySetException(exception);
                    }
                    done.TrySetException(exception);
                    // Start from a fresh connection: the old one may be broken.
                    commands?.Dispose();
                    commands = null;
                    if (connection is not null)
                    {
                        await connection.DisposeAsync().ConfigureAwait(false);
                        connection = null;
                    }
                }
                batch.Clear();
            }
            else
            {
                done.TrySetResult();
            }
            unsettled.Clear();
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
        commands?.Dispose();
        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
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
    }
}
