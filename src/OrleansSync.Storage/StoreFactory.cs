using OrleansSync.Storage.Ado;
using OrleansSync.Storage.Postgres;
using OrleansSync.Storage.Sqlite;

namespace OrleansSync.Storage;

/// <summary>Picks the SQL dialect named by <see cref="StoreOptions.Provider"/>.</summary>
public static class StoreFactory
{
    /// <summary>Default SQLite file, relative to the working directory.</summary>
    public const string DefaultSqliteConnectionString = "Data Source=data/orleanssync.db";

    /// <summary>
    /// The SQLite connection string of <paramref name="options"/> (<see cref="DefaultSqliteConnectionString"/> when unset):
    /// the store and Orleans' grain state and reminders on SQLite share this one file.
    /// </summary>
    public static string SqliteConnectionString(StoreOptions options) =>
        string.IsNullOrWhiteSpace(options.ConnectionString) ? DefaultSqliteConnectionString : options.ConnectionString;

    /// <summary>
    /// The PostgreSQL connection string of <paramref name="options"/>, shared by the store and Orleans' membership, grain
    /// state and reminders; throws a clear error when it is missing.
    /// </summary>
    public static string PostgresConnectionString(StoreOptions options) => string.IsNullOrWhiteSpace(options.ConnectionString)
        ? throw new InvalidOperationException("Store:Provider=Postgres needs Store:ConnectionString (e.g. Host=127.0.0.1;Port=5432;Username=postgres;Database=orleanssync).")
        : options.ConnectionString;

    /// <summary>Whether <paramref name="provider"/> (<c>Store:Provider</c>) names SQLite (case-insensitive).</summary>
    public static bool IsSqlite(string? provider) => string.Equals(provider, "Sqlite", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="provider"/> (<c>Store:Provider</c>) names PostgreSQL: <c>Postgres</c> or <c>PostgreSQL</c>, case-insensitive.</summary>
    public static bool IsPostgres(string? provider) =>
        string.Equals(provider, "Postgres", StringComparison.OrdinalIgnoreCase) || string.Equals(provider, "PostgreSQL", StringComparison.OrdinalIgnoreCase);

    /// <summary>The dialect for <paramref name="options"/>; throws a clear error for an unknown provider.</summary>
    public static SqlDialect CreateDialect(StoreOptions options) =>
        IsSqlite(options.Provider) ? new SqliteDialect(SqliteConnectionString(options))
        : IsPostgres(options.Provider) ? new PostgresDialect(PostgresConnectionString(options))
        : throw new InvalidOperationException($"Store:Provider '{options.Provider}' is unknown; use Sqlite or Postgres.");
}
