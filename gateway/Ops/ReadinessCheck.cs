using OrleansSync.Storage;

namespace OrleansSync.Gateway.Ops;

/// <summary>
/// Readiness of the node: the schema was migrated at start, the store's last writes succeeded (<see cref="StoreHealth"/>,
/// kept by the writes the node makes anyway: nothing is written per check), and the store answers a ping now.
/// <c>/readyz</c> reports it; a load balancer stops routing to a node that is not ready.
/// </summary>
public sealed class ReadinessCheck(ISessionStore store, StoreHealth health)
{
    /// <summary>How long a ping may take before the store counts as unreachable.</summary>
    public static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(2);

    private volatile bool _migrated;

    /// <summary>The schema is in place (called once migrations ran).</summary>
    public void MarkMigrated() => _migrated = true;

    /// <summary>Checks readiness; never throws.</summary>
    public async Task<ReadinessResult> CheckAsync(CancellationToken cancellationToken = default)
    {
        if (!_migrated)
        {
            return new ReadinessResult(false, "store migrations have not run yet");
        }
        if (health.State is { Writable: false } failing)
        {
            return new ReadinessResult(false,
                $"store writes fail since {failing.Since:yyyy-MM-dd HH:mm:ss}Z: {failing.Reason}");
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PingTimeout);
        try
        {
            await store.PingAsync(timeout.Token).ConfigureAwait(false);
            return new ReadinessResult(true, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ReadinessResult(false, $"store did not answer within {PingTimeout.TotalSeconds:0.#} s");
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return new ReadinessResult(false, "store unreachable: " + exception.Message);
        }
    }
}

/// <summary>Outcome of a readiness check.</summary>
/// <param name="Ready">True when the node can serve.</param>
/// <param name="Reason">Why not, when not ready.</param>
public readonly record struct ReadinessResult(bool Ready, string? Reason);
