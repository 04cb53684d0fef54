using System.Data.Common;
using Npgsql;
using OrleansSync.Storage.Ado;

namespace OrleansSync.Storage.Postgres;

/// <summary>
/// PostgreSQL, the cluster store: one pooled <see cref="NpgsqlDataSource"/> per node. The shared statements
/// of <see cref="SqlDialect"/> run unchanged (named <c>@parameters</c>, <c>ON CONFLICT … excluded</c>,
/// <c>LIMIT @limit</c>, flags bound as .NET <see cref="bool"/>); only connection setup and schema live here.
/// </summary>
public sealed class PostgresDialect : SqlDialect, IAsyncDisposable, IDisposable
{
    /// <summary>
    /// Key of the transaction-scoped advisory lock that serialises migrations, so nodes starting at once
    /// never race on <c>CREATE … IF NOT EXISTS</c> (which is not atomic against a concurrent create).
    /// The value is "OSYNC" in ASCII; any constant works as long as every version uses the same one.
    /// </summary>
    public const long MigrationLockKey = 0x4F_53_59_4E_43;

    private readonly NpgsqlDataSource _dataSource;

    /// <summary>Builds the connection pool for <paramref name="connectionString"/> (Npgsql syntax).</summary>
    public PostgresDialect(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // The hot statements are few and fixed: let Npgsql prepare them once per connection unless the connection
        // string says otherwise (measured: +59 % deliveries/s on one node). Migrations only add columns and tables,
        // and every statement names its columns, so a prepared statement's result type never changes under it.
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = DefaultMaxAutoPrepare;
        }
        _dataSource = builder.Build();
    }

    /// <summary>Statements Npgsql prepares automatically per connection when the connection string sets none.</summary>
    public const int DefaultMaxAutoPrepare = 64;

    /// <summary>The schema version this build migrates to.</summary>
    public static int SchemaVersion => PostgresSchema.Migrations.Length;

    /// <inheritdoc />
    public override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    /// <remarks>
    /// One transaction: take the advisory lock, read the recorded version, apply the missing steps and record
    /// them. A second node waits on the lock and then finds nothing left to do. A database already at a newer
    /// version (a newer node migrated it) is left as it is: migrations only ever add.
    /// </remarks>
    public override async Task MigrateAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({MigrationLockKey})", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, PostgresSchema.CreateVersionTable, cancellationToken).ConfigureAwait(false);
        int current;
        await using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
            current = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }
        for (var version = current + 1; version <= PostgresSchema.Migrations.Length; version++)
        {
            await ExecuteAsync(connection, transaction, PostgresSchema.Migrations[version - 1], cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, transaction, $"INSERT INTO schema_version (version) VALUES ({version})", cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override string LockRows => " FOR UPDATE";

    /// <inheritdoc />
    /// <remarks>Each statement would otherwise cost a round trip to the server while the batch's transaction is open.</remarks>
    public override bool PipelinesBatchWrites => true;

    /// <inheritdoc />
    /// <remarks>NOTIFY is transactional: delivered on commit, dropped on rollback, and repeats in one transaction fold.</remarks>
    public override string? WakeInboxOwner => $"SELECT pg_notify('{PostgresSignals.Channel}', @payload)";

    /// <inheritdoc />
    public override string InboxWakePayload(string nodeId) => PostgresSignals.InboxPayload(nodeId);

    /// <summary>The pool (the wake-up listener opens its dedicated connection from it).</summary>
    public NpgsqlDataSource DataSource => _dataSource;

    /// <summary>
    /// A session-level advisory lock held on a connection of its own while <paramref name="work"/> runs: whichever
    /// node takes it does the work; the others skip this round. If the holder dies, PostgreSQL frees the lock.
    /// </summary>
    public override async Task<bool> TryRunExclusiveAsync(string name, Func<CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        var key = LockKey(name);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var take = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection))
        {
            take.Parameters.AddWithValue("key", key);
            if (!(bool)(await take.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return false;
            }
        }
        try
        {
            await work(cancellationToken).ConfigureAwait(false);
            return true;
        }
        finally
        {
            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
            release.Parameters.AddWithValue("key", key);
            await release.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>A stable 64-bit key for a lock name (FNV-1a), distinct from <see cref="MigrationLockKey"/>.</summary>
    private static long LockKey(string name)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in "orleanssync:" + name)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }
        return unchecked((long)hash);
    }

    /// <summary>Closes the pooled connections.</summary>
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>Closes the pooled connections.</summary>
    public void Dispose() => _dataSource.Dispose();

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
