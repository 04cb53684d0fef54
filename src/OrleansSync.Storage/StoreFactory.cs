using OrleansSync.Storage.Ado;
using OrleansSync.Storage.Sqlite;

namespace OrleansSync.Storage;

/// <summary>Picks the SQL dialect named by <see cref="StoreOptions.Provider"/>.</summary>
public static class StoreFactory
{
    /// <summary>Default SQLite file, relative to the working directory.</summary>
    public const string DefaultSqliteConnectionString = "Data Source=data/orleanssync.db";

    /// <summary>The dialect for <paramref name="options"/>; throws a clear error for an unknown provider.</summary>
    public static SqlDialect CreateDialect(StoreOptions options) => options.Provider.ToLowerInvariant() switch
    {
        "sqlite" => new SqliteDialect(string.IsNullOrWhiteSpace(options.ConnectionString) ? DefaultSqliteConnectionString : options.ConnectionString),
        "postgres" or "postgresql" => throw new InvalidOperationException(
            "Store:Provider=Postgres is not available in this build yet; use Sqlite."),
        _ => throw new InvalidOperationException($"Store:Provider '{options.Provider}' is unknown; use Sqlite or Postgres."),
    };
}
