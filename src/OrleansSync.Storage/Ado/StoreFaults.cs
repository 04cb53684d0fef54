using Microsoft.Extensions.Logging.Abstractions;

namespace OrleansSync.Storage.Ado;

/// <summary>
/// The store's one rule for failed writes: an exception the dialect recognises as "the store cannot write now"
/// (read-only, full, I/O error, unreachable; <see cref="SqlDialect.DescribeFault"/>) is reported to
/// <see cref="StoreHealth"/>, the connection pool is emptied (a connection opened while the database was read-only
/// stays read-only, so recovery needs fresh ones) and the caller gets a <see cref="StoreUnavailableException"/>.
/// Any other exception (a bug, a constraint) is left as it is. Catch with
/// <c>catch (Exception e) when (faults.Describe(e) is { } reason) { throw faults.Unavailable(…); }</c>: the filter only
/// classifies, so the pool is emptied after the failed connection went back to it.
/// </summary>
/// <param name="dialect">The database.</param>
/// <param name="health">Hears every outcome; null: a health of its own that nobody reads (stores built by tests and tools).</param>
internal sealed class StoreFaults(SqlDialect dialect, StoreHealth? health)
{
    private readonly StoreHealth _health = health ?? new StoreHealth(NullLogger<StoreHealth>.Instance, TimeProvider.System);

    /// <summary>What the database said, if <paramref name="exception"/> means it cannot write now; else null.</summary>
    public string? Describe(Exception exception) => exception is StoreUnavailableException known ? known.Reason : dialect.DescribeFault(exception);

    /// <summary>Reports the failure of a write through <paramref name="path"/> and returns what to throw.</summary>
    public StoreUnavailableException Unavailable(string reason, Exception exception, StoreWritePath path)
    {
        dialect.ResetConnections();
        _health.Failed(path, reason, exception);
        return exception as StoreUnavailableException ?? new StoreUnavailableException(reason);
    }

    /// <summary>
    /// A write through <paramref name="path"/> committed. If it ends that path's failures, the pool is emptied once more:
    /// connections opened meanwhile (by reads, which a read-only database still serves) may be read-only ones.
    /// </summary>
    public void Succeeded(StoreWritePath path)
    {
        if (_health.Succeeded(path))
        {
            dialect.ResetConnections();
        }
    }
}
