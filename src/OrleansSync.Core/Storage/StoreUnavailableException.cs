namespace OrleansSync.Storage;

/// <summary>
/// The store cannot take a write (or answer at all) right now: the database is read-only, full, failing to read or
/// write its files, or unreachable. Nothing is wrong with the request: the same request can succeed once the store
/// recovers, so callers answer "retry later" (HTTP 503, socket close 1013). Thrown by the store in place of the
/// database's own exception, whose details went to the store's health log (<c>StoreHealth</c>); serializable, so it
/// crosses grain calls with its type.
/// </summary>
[GenerateSerializer, Alias("OrleansSync.StoreUnavailableException")]
public sealed class StoreUnavailableException : Exception
{
    /// <summary>Creates the exception for <paramref name="reason"/>.</summary>
    public StoreUnavailableException(string reason)
        : base("the store cannot take writes right now: " + reason) => Reason = reason;

    /// <summary>What the database said, in a few words (e.g. <c>read-only: SQLite Error 8 …</c>).</summary>
    [Id(0)]
    public string Reason { get; private set; }
}
