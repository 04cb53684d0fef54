namespace OrleansSync.Delivery;

/// <summary>
/// A grain whose idle moments callers in its silo may use on their own thread, without a grain call or a work item
/// (the direct paths of <see cref="SessionGrain"/> and <see cref="UserGrain"/>). Orleans runs the grain's turns one at
/// a time but knows nothing of those paths, so both share a gate: every turn counts itself under it from its start to
/// its end, awaits included (each call, and each timer tick, which Orleans delivers as a message, through this grain's
/// own call filter; what Orleans runs without a message, a work item, a continuation, the deactivation, with
/// <see cref="InTurn"/>; work queued for later, from
/// <see cref="TryEnterTurn"/> when queued to <see cref="LeaveTurn"/> when done), and
/// a direct path holds the gate (<see cref="WhenIdle"/>) only while the count is 0. So a direct path never runs during
/// a turn, not even at one of its awaits, and a turn that starts meanwhile waits for the microseconds it takes.
/// </summary>
public abstract class GatedGrain : Grain, IIncomingGrainCallFilter
{
    private readonly object _gate = new();
    private int _turns; // under _gate
    private bool _closed; // under _gate: see TryCloseAsOnlyTurn

    /// <summary>Every call is a turn: counted from its start to its end.</summary>
    async Task IIncomingGrainCallFilter.Invoke(IIncomingGrainCallContext context)
    {
        using (InTurn())
        {
            await context.Invoke().ConfigureAwait(true);
        }
    }

    /// <summary>A turn that is not a call begins: no direct path until <see cref="LeaveTurn"/>.</summary>
    private void EnterTurn()
    {
        lock (_gate)
        {
            _turns++;
        }
    }

    /// <summary>
    /// <see cref="EnterTurn"/> for work queued from outside the grain's turns: false, with nothing counted, once the gate
    /// is closed (<see cref="TryCloseAsOnlyTurn"/>); the caller then takes the grain's usual way, a grain call.
    /// </summary>
    protected bool TryEnterTurn()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return false;
            }
            _turns++;
            return true;
        }
    }

    /// <summary>
    /// Closes the gate for good if the calling turn is the only one counted (no other turn runs, none is queued): from
    /// then on no direct path holds it and <see cref="TryEnterTurn"/> refuses, so nothing reaches this activation but
    /// Orleans' own calls. For a grain about to leave memory with nothing left behind in it.
    /// </summary>
    protected bool TryCloseAsOnlyTurn()
    {
        lock (_gate)
        {
            if (_turns != 1)
            {
                return false;
            }
            _closed = true;
            return true;
        }
    }

    /// <summary>The end of what <see cref="TryEnterTurn"/> began.</summary>
    protected void LeaveTurn()
    {
        lock (_gate)
        {
            _turns--;
        }
    }

    /// <summary>
    /// Counts a turn that is not a message (a work item, a continuation, the deactivation) until the returned
    /// scope is disposed: <c>using (InTurn()) { ... }</c>, awaits included.
    /// </summary>
    protected TurnScope InTurn()
    {
        EnterTurn();
        return new TurnScope(this);
    }

    /// <summary>A turn counted by <see cref="InTurn"/>; disposing ends it.</summary>
    protected readonly struct TurnScope(GatedGrain grain) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose() => grain.LeaveTurn();
    }

    /// <summary>Holds the gate if no turn runs (or is queued) and it is open: the direct path runs while the returned scope is held.</summary>
    protected IdleGate WhenIdle()
    {
        Monitor.Enter(_gate);
        if (_turns == 0 && !_closed)
        {
            return new IdleGate(_gate);
        }
        Monitor.Exit(_gate);
        return default;
    }

    /// <summary>The gate held by <see cref="WhenIdle"/>, if <see cref="Held"/>; disposing releases it.</summary>
    protected readonly struct IdleGate(object? gate) : IDisposable
    {
        /// <summary>False: a turn runs, so nothing is held and the caller takes the grain's usual way.</summary>
        public bool Held => gate is not null;

        /// <inheritdoc />
        public void Dispose()
        {
            if (gate is not null)
            {
                Monitor.Exit(gate);
            }
        }
    }
}
