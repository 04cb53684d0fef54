namespace OrleansSync.Concurrency;

/// <summary>
/// Runs one keyed batch call at a time: a caller that arrives while a call is in flight joins the next one, which
/// covers every key that waited (one round trip for all of them). Idle, a call starts at once (no added latency);
/// under load the calls grow instead of multiplying. Used where a small call costs far more in its round trip than
/// in its content: the publish read on a database server (measured with three nodes on one PostgreSQL, it took 0.3
/// of the server's 0.5 cores), and the cluster's session-list invalidations.
/// </summary>
/// <remarks>
/// A joining caller's call starts after it joined, so it sees everything that happened before the caller began, as a
/// call of its own would. Callers asking for the same key share its result.
/// </remarks>
public sealed class CallCoalescer<TKey, TValue> where TKey : notnull
{
    /// <summary>Answers several keys at once: one value per key, in the keys' order.</summary>
    public delegate Task<IReadOnlyList<TValue>> BatchCall(IReadOnlyList<TKey> keys, CancellationToken cancellationToken);

    private readonly BatchCall _call;
    private readonly object _gate = new();
    private Dictionary<TKey, TaskCompletionSource<TValue>>? _waiting;
    private bool _calling;

    /// <param name="call">The batched call.</param>
    public CallCoalescer(BatchCall call) => _call = call;

    /// <summary>
    /// The value of <paramref name="key"/>, from a call now or the next one. <paramref name="cancellationToken"/>
    /// stops this caller's wait (and a call it runs alone), never a call shared with others.
    /// </summary>
    public Task<TValue> CallAsync(TKey key, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_calling)
            {
                _waiting ??= [];
                if (!_waiting.TryGetValue(key, out var joined))
                {
                    _waiting[key] = joined = new TaskCompletionSource<TValue>(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                return joined.Task.WaitAsync(cancellationToken);
            }
            _calling = true;
        }
        return CallAloneAsync(key, cancellationToken);
    }

    private async Task<TValue> CallAloneAsync(TKey key, CancellationToken cancellationToken)
    {
        try
        {
            return (await _call([key], cancellationToken).ConfigureAwait(false))[0];
        }
        finally
        {
            StartNextCall();
        }
    }

    /// <summary>Calls for the keys that waited, or marks the coalescer idle if none did.</summary>
    private void StartNextCall()
    {
        Dictionary<TKey, TaskCompletionSource<TValue>>? batch;
        lock (_gate)
        {
            batch = _waiting;
            _waiting = null;
            _calling = batch is not null;
        }
        if (batch is not null)
        {
            _ = CallBatchAsync(batch);
        }
    }

    private async Task CallBatchAsync(Dictionary<TKey, TaskCompletionSource<TValue>> batch)
    {
        try
        {
            var values = await _call([.. batch.Keys], CancellationToken.None).ConfigureAwait(false);
            var next = 0;
            foreach (var caller in batch.Values) // in the keys' order
            {
                caller.TrySetResult(values[next++]);
            }
        }
        catch (Exception error)
        {
            foreach (var caller in batch.Values)
            {
                caller.TrySetException(error);
            }
        }
        finally
        {
            StartNextCall();
        }
    }
}
