using Npgsql;

namespace OrleansSync.Bench;

/// <summary>
/// A fresh database per cluster scenario on the PostgreSQL server the script started, and its activity counters
/// from <c>pg_stat_database</c> (transactions committed, rows inserted, updated and deleted).
/// </summary>
public sealed class PostgresDatabase(string serverConnectionString, string name)
{
    public string ConnectionString => new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = name }.ConnectionString;

    public async Task CreateAsync()
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = "postgres" }.ConnectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        await using (var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\"", connection))
        {
            await drop.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await create.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Drops the database and checkpoints, so the next scenario does not share the server with this one's leftovers
    /// (autovacuum of its churned queue tables, the writing of its dirty pages). Tried as the reason why the 3-node
    /// scenario reaches less in a full run than alone (8.5k vs 11.9–12.3k deliveries/s): it is not (same figure after).
    /// </summary>
    public async Task DropAsync()
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = "postgres" }.ConnectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        await using (var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection))
        {
            await drop.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        await using var checkpoint = new NpgsqlCommand("CHECKPOINT", connection);
        await checkpoint.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Silos Orleans' membership table lists as dead (status 6, <c>SiloStatus.Dead</c>) in this database.</summary>
    public async Task<long> CountDeadSilosAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM orleans_membership WHERE status = 6", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<PostgresReading> ReadAsync()
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = "postgres" }.ConnectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        // Counters are flushed by each backend about once a second; clear the snapshot so the read is current.
        await using var command = new NpgsqlCommand(
            "SELECT pg_stat_clear_snapshot(), xact_commit, tup_inserted, tup_updated, tup_deleted, xact_rollback FROM pg_stat_database WHERE datname = @name", connection);
        command.Parameters.AddWithValue("name", name);
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        await reader.ReadAsync().ConfigureAwait(false);
        return new PostgresReading(reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
    }
}

public readonly record struct PostgresReading(long Commits, long Inserted, long Updated, long Deleted, long Rollbacks)
{
    public static PostgresReading operator -(PostgresReading end, PostgresReading start) =>
        new(end.Commits - start.Commits, end.Inserted - start.Inserted, end.Updated - start.Updated, end.Deleted - start.Deleted, end.Rollbacks - start.Rollbacks);
}
