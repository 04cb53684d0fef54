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
}
