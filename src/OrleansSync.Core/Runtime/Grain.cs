namespace OrleansSync.Runtime;

/// <summary>
/// Base class of a grain: the single logical owner of the state behind one key.
/// The runtime runs a grain's calls one at a time (a "turn" each), so grain code
/// never needs locks. A grain never touches sockets, HTTP or SQL text.
/// </summary>
public abstract class Grain
{
    private GrainActivation? _activation;

    /// <summary>The key this activation owns.</summary>
    public string Key { get; private set; } = "";

    internal void Bind(string key, GrainActivation activation)
    {
        Key = key;
        _activation = activation;
    }

    /// <summary>Loads state. Runs inside the first turn of the activation.</summary>
    protected internal virtual ValueTask OnActivateAsync(CancellationToken cancellationToken) => default;

    /// <summary>Releases timers. Runs inside the last turn of the activation.</summary>
    protected internal virtual ValueTask OnDeactivateAsync() => default;

    /// <summary>False while the grain holds something that must stay in memory (an attached observer).</summary>
    protected internal virtual bool CanDeactivate => true;

    /// <summary>
    /// Queues <paramref name="work"/> as a turn of this very activation (timer callbacks use it),
    /// so it never interleaves with another call. Skipped if the activation is gone.
    /// </summary>
    protected Task RunInTurnAsync(Func<ValueTask> work) =>
        _activation is { } activation ? activation.RunOwnTurnAsync(work) : Task.CompletedTask;
}
