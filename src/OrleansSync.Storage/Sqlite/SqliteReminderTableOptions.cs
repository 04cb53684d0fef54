namespace OrleansSync.Storage.Sqlite;

/// <summary>Options of <see cref="SqliteReminderTable"/>.</summary>
public sealed class SqliteReminderTableOptions
{
    /// <summary>The store's SQLite connection string (<c>Store:ConnectionString</c>, see <see cref="StoreFactory.SqliteConnectionString"/>).</summary>
    public string ConnectionString { get; set; } = StoreFactory.DefaultSqliteConnectionString;
}
