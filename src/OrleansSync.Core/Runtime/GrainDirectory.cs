using System.Collections.Concurrent;

namespace OrleansSync.Runtime;

/// <summary>
/// Holds the activations of one grain type: activates a grain per key on demand, routes each call
/// to it as a turn, and removes idle activations. State lives in the store, so an activation can be
/// dropped and recreated at any time without losing anything.
/// </summary>
public sealed class GrainDirectory<TGrain> : IDisposable where TGrain : Grain
{
    private readonly ConcurrentDictionary<string, GrainActivation> _activations = new(StringComparer.Ordinal);
    private readonly Func<string, TGrain> _factory;
    private readonly TimeProvider _time;
    private readonly GrainOptions _options;
    private readonly ITimer _idleSweep;

    /// <summary>Creates a directory that builds grains with <paramref name="factory"/>.</summary>
    public GrainDirectory(Func<string, TGrain> factory, TimeProvider time, GrainOptions options)
    {
        _factory = factory;
        _time = time;
        _options = options;
        _idleSweep = time.CreateTimer(_ => _ = DeactivateIdleAsync(), null, options.IdleCheckInterval, options.IdleCheckInterval);
    }

    /// <summary>Number of activations currently in memory.</summary>
    public int ActiveCount => _activations.Count;

    /// <summary>
    /// The grains in memory, enumerated without locking (for gauges): the set may change meanwhile, and a grain's
    /// fields read this way, outside its turns, may be a moment stale.
    /// </summary>
    public IEnumerable<TGrain> ActiveGrains
    {
        get
        {
            foreach (var (_, activation) in _activations)
            {
                yield return (TGrain)activation.Grain;
            }
        }
    }

    /// <summary>Whether <paramref name="key"/> has an activation in memory now (a call may still find it deactivating).</summary>
    public bool IsActive(string key) => _activations.ContainsKey(key);

    /// <summary>Calls the grain for <paramref name="key"/> (activating it if needed) as one turn.</summary>
    public async ValueTask<TResult> CallAsync<TArg, TResult>(
        string key, TArg arg, Func<TGrain, TArg, ValueTask<TResult>> call, CancellationToken cancellationToken = default)
    {
        var typedCall = (Func<Grain, (Func<TGrain, TArg, ValueTask<TResult>> Call, TArg Arg), ValueTask<TResult>>)
            (static (grain, state) => state.Call((TGrain)grain, state.Arg));
        while (true)
        {
            var activation = _activations.GetOrAdd(key, Activate);
            (bool ran, TResult result) ran;
            try
            {
                ran = await activation.TryRunAsync((call, arg), typedCall, cancellationToken).ConfigureAwait(false);
            }
            catch when (activation.Deactivated)
            {
                // Activation failed (e.g. the store was unreachable): drop it so the next call retries cleanly.
                _activations.TryRemove(new KeyValuePair<string, GrainActivation>(key, activation));
                throw;
            }
            if (ran.ran)
            {
                return ran.result;
            }
            // The activation was deactivated while we waited for its turn: activate afresh.
            _activations.TryRemove(new KeyValuePair<string, GrainActivation>(key, activation));
        }
    }

    /// <summary>Calls the grain for <paramref name="key"/> as one turn, without an argument.</summary>
    public ValueTask<TResult> CallAsync<TResult>(string key, Func<TGrain, ValueTask<TResult>> call, CancellationToken cancellationToken = default) =>
        CallAsync(key, call, static (grain, c) => c(grain), cancellationToken);

    /// <summary>Deactivates every activation now (host shutdown, tests).</summary>
    public async Task DeactivateAllAsync()
    {
        foreach (var (key, activation) in _activations)
        {
            if (await activation.TryDeactivateIfIdleAsync(TimeSpan.Zero, force: true).ConfigureAwait(false))
            {
                _activations.TryRemove(new KeyValuePair<string, GrainActivation>(key, activation));
            }
        }
    }

    /// <summary>Removes activations idle longer than <see cref="GrainOptions.IdleTimeout"/>.</summary>
    public async Task DeactivateIdleAsync()
    {
        foreach (var (key, activation) in _activations)
        {
            if (activation.IdleFor < _options.IdleTimeout)
            {
                continue;
            }
            if (await activation.TryDeactivateIfIdleAsync(_options.IdleTimeout, force: false).ConfigureAwait(false))
            {
                _activations.TryRemove(new KeyValuePair<string, GrainActivation>(key, activation));
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _idleSweep.Dispose();

    private GrainActivation Activate(string key)
    {
        var grain = _factory(key);
        var activation = new GrainActivation(grain, _time);
        grain.Bind(key, activation);
        return activation;
    }
}
