namespace OrleansSync.Storage;

/// <summary>Where durable state lives (configuration section <c>Store</c>).</summary>
public sealed class StoreOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Store";

    /// <summary><c>Sqlite</c> (default, one file, embedded) or <c>Postgres</c> / <c>PostgreSQL</c> (cluster); case-insensitive.</summary>
    public string Provider { get; set; } = "Sqlite";

    /// <summary>ADO.NET connection string. Default for SQLite: <c>Data Source=data/orleanssync.db</c> under the working directory; required for PostgreSQL (Npgsql syntax).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// How long a group commit smaller than <see cref="CommitBatchSize"/> waits for more writes before it starts.
    /// Unset: the provider's default (10 ms for both: on SQLite most acks arrive within it, so their events are never
    /// written; on PostgreSQL each transaction also costs round trips and a WAL flush). Sockets get their frames before the commit either way;
    /// the delay is added to publish answers (not to resumes, inbox moves or socket registrations, which do not wait),
    /// and an event acked within it is never written.
    /// </summary>
    public TimeSpan? CommitDelay { get; set; }

    /// <summary>
    /// A group commit that reaches this many writes starts without waiting for <see cref="CommitDelay"/>. Unset: the
    /// provider's default (4096 for SQLite, so that a busy node still waits out the delay; 256 for PostgreSQL).
    /// </summary>
    public int? CommitBatchSize { get; set; }

    /// <summary>Throws if a value cannot work.</summary>
    public void Validate()
    {
        if (CommitDelay is { } delay && (delay < TimeSpan.Zero || delay > TimeSpan.FromSeconds(1)))
            throw new InvalidOperationException($"Store:CommitDelay must be between 0 and 1 second (was {delay}).");
        if (CommitBatchSize is < 1) throw new InvalidOperationException("Store:CommitBatchSize must be at least 1.");
    }
}
