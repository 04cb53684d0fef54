using System.Data.Common;
using Microsoft.Data.Sqlite;
using OrleansSync.Storage.Ado;

namespace OrleansSync.Storage.Sqlite;

/// <summary>SQLite: one file in WAL mode (readers never block the single writer), created on first run.</summary>
public sealed class SqliteDialect : SqlDialect
{
    private readonly string _connectionString;

    /// <summary>Uses <paramref name="connectionString"/>, creating the folder of its file if needed.</summary>
    public SqliteDialect(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true };
        if (builder.DataSource is { Length: > 0 } file && file != ":memory:" && Path.GetDirectoryName(Path.GetFullPath(file)) is { } folder)
        {
            Directory.CreateDirectory(folder);
        }
        _connectionString = builder.ToString();
    }

    /// <inheritdoc />
    public override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        // synchronous=NORMAL in WAL mode survives a process crash (not an OS crash) and keeps commits cheap.
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;";
        await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    /// <inheritdoc />
    public override async Task MigrateAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS sessions (
                session_id TEXT NOT NULL PRIMARY KEY,
                user_id TEXT NOT NULL,
                need_full_sync INTEGER NOT NULL,
                retention_deadline INTEGER NULL
            );
            CREATE INDEX IF NOT EXISTS ix_sessions_user ON sessions (user_id);
            CREATE INDEX IF NOT EXISTS ix_sessions_deadline ON sessions (retention_deadline) WHERE retention_deadline IS NOT NULL;
            CREATE TABLE IF NOT EXISTS session_events (
                session_id TEXT NOT NULL,
                seq INTEGER NOT NULL,
                event_id TEXT NOT NULL,
                frame BLOB NOT NULL,
                PRIMARY KEY (session_id, seq)
            ) WITHOUT ROWID;
            """;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
