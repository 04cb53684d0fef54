namespace OrleansSync.Runtime;

/// <summary>
/// One in-memory activation of a grain: the grain object, its turn gate and its idle clock.
/// The gate is a <see cref="SemaphoreSlim"/>, whose async waiters are served in arrival order,
/// so calls made in some order onto one grain run in that order.
/// </summary>
internal sealed class GrainActivation(Grain grain, TimeProvider time)
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private bool _activated;
    private long _lastUsedTimestamp = time.GetTimestamp();

    public Grain Grain { get; } = grain;

    /// <summary>Set inside a turn once the activation is removed; later callers must find a new one.</summary>
    public bool Deactivated { get; private set; }

    public TimeSpan IdleFor => time.GetElapsedTime(Volatile.Read(ref _lastUsedTimestamp));

    /// <summary>Runs <paramref name="call"/> as one turn. Returns false (without running it) if this activation is gone.</summary>
    public async ValueTask<(bool Ran, TResult Result)> TryRunAsync<TArg, TResult>(
        TArg arg, Func<Grain, TArg, ValueTask<TResult>> call, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Deactivated)
            {
                return (false, default!);
            }
            if (!_activated)
            {
                try
                {
                    await Grain.OnActivateAsync(cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    // A failed activation is dead: the directory drops it and the next call starts afresh.
                    Deactivated = true;
                    throw;
                }
                _activated = true;
            }
            Volatile.Write(ref _lastUsedTimestamp, time.GetTimestamp());
            return (true, await call(Grain, arg).ConfigureAwait(false));
        }
        finally
        {
            _turn.Release();
        }
    }

    public async Task RunOwnTurnAsync(Func<ValueTask> work)
    {
        await _turn.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!Deactivated && _activated)
            {
                await work().ConfigureAwait(false);
            }
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>
    /// Deactivates if the grain is idle, allows it, and no turn is running. Never waits for a turn:
    /// a busy grain is by definition not idle.
    /// </summary>
    public async ValueTask<bool> TryDeactivateIfIdleAsync(TimeSpan idleTimeout, bool force)
    {
        if (!_turn.Wait(0))
        {
            return false;
        }
        try
        {
            if (Deactivated)
            {
                return true;
            }
            if (!force && (IdleFor < idleTimeout || !Grain.CanDeactivate))
            {
                return false;
            }
            Deactivated = true;
            if (_activated)
            {
                await Grain.OnDeactivateAsync().ConfigureAwait(false);
            }
            return true;
        }
        finally
        {
            _turn.Release();
        }
    }
}
