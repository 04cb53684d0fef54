using System.Reflection;
using System.Text.RegularExpressions;
using Npgsql;
using Orleans.Runtime.MembershipService;
using Orleans.Storage;
using OrleansSync.Storage.Postgres;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Storage;

/// <summary>
/// The schema of Orleans' ADO.NET providers, written by the store's migrations: created once when several nodes start
/// together, untouched by a later start, and holding every named query the three providers of this Orleans build read.
/// </summary>
[Collection(nameof(PostgresServer))]
public sealed class PostgresOrleansSchemaTests
{
    /// <summary>
    /// The query keys each provider requires, read from the providers themselves: the clustering and reminder providers
    /// check their (internal) query class's properties against OrleansQuery, the grain storage names its keys in its
    /// public initialization query. A newer Orleans that needs another query fails here, not at a node's start.
    /// </summary>
    private static IReadOnlyList<string> RequiredQueryKeys()
    {
        static IEnumerable<string> StoredQueryProperties(Assembly assembly) =>
            assembly.GetTypes().Single(type => type.Name == "DbStoredQueries")
                .GetProperties(BindingFlags.Instance | BindingFlags.NonPublic).Select(property => property.Name);

        var clustering = StoredQueryProperties(typeof(AdoNetClusteringTable).Assembly).ToList();
        var reminders = StoredQueryProperties(Assembly.Load("Orleans.Reminders.AdoNet")).ToList();
        var storage = Regex.Matches(AdoNetGrainStorage.DefaultInitializationQuery, "'(\\w+)'").Select(match => match.Groups[1].Value).ToList();
        Assert.Equal(9, clustering.Count);
        Assert.Equal(7, reminders.Count);
        Assert.Equal(4, storage.Count);
        return [.. clustering, .. reminders, .. storage];
    }

    [Fact]
    public async Task Nodes_starting_together_create_the_orleans_schema_once_and_a_later_start_changes_nothing()
    {
        var server = await PostgresServer.GetAsync();
        var database = await server.CreateDatabaseAsync();
        var connectionString = server.ConnectionString(database);
        var dialects = Enumerable.Range(0, 6).Select(_ => new PostgresDialect(connectionString)).ToList();
        try
        {
            await Task.WhenAll(dialects.Select(async dialect =>
            {
                await using var connection = await dialect.OpenConnectionAsync(CancellationToken.None);
                await dialect.MigrateAsync(connection, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None);
            }));
            Assert.Equal(PostgresDialect.SchemaVersion, await ScalarAsync(connectionString, "SELECT COUNT(*) FROM schema_version"));
            Assert.Equal(PostgresDialect.SchemaVersion, await ScalarAsync(connectionString, "SELECT COUNT(DISTINCT version) FROM schema_version"));

            // Every query the providers read is there, once (QueryKey is the key).
            var keys = await ReadKeysAsync(connectionString);
            Assert.Empty(RequiredQueryKeys().Except(keys));
            Assert.Equal(keys.Count, keys.Distinct().Count());

            // A later start finds nothing to do: no row of the queries and no function is written again.
            var before = await SnapshotAsync(connectionString);
            await using (var connection = await dialects[0].OpenConnectionAsync(CancellationToken.None))
            {
                await dialects[0].MigrateAsync(connection, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None);
            }
            Assert.Equal(before, await SnapshotAsync(connectionString));
            Assert.Equal(PostgresDialect.SchemaVersion, await ScalarAsync(connectionString, "SELECT COUNT(*) FROM schema_version"));
        }
        finally
        {
            foreach (var dialect in dialects)
            {
                await dialect.DisposeAsync();
            }
            await server.DropDatabaseAsync(database);
        }
    }

    [Fact]
    public async Task The_orleans_tables_sit_beside_the_queue_and_the_rooms_in_the_same_database()
    {
        var server = await PostgresServer.GetAsync();
        var database = await server.CreateDatabaseAsync();
        var connectionString = server.ConnectionString(database);
        try
        {
            await using (var dialect = new PostgresDialect(connectionString))
            await using (var connection = await dialect.OpenConnectionAsync(CancellationToken.None))
            {
                await dialect.MigrateAsync(connection, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None);
            }

            Assert.Equal(7, await ScalarAsync(connectionString,
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN " +
                "('session_events', 'messages', 'orleansquery', 'orleans_grain_state', 'orleans_reminders', " +
                "'orleans_membership', 'orleans_membership_version')"));
        }
        finally
        {
            await server.DropDatabaseAsync(database);
        }
    }

    /// <summary>The row versions (xmin) of the named queries and of the Orleans functions: any rewrite changes them.</summary>
    private static async Task<string> SnapshotAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT string_agg(QueryKey || '=' || xmin::text, ',' ORDER BY QueryKey) FROM OrleansQuery " +
            "UNION ALL SELECT string_agg(proname || '=' || xmin::text, ',' ORDER BY proname) FROM pg_proc WHERE proname LIKE 'orleans\\_%'",
            connection);
        var parts = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            parts.Add(reader.GetString(0));
        }
        Assert.Equal(2, parts.Count);
        Assert.All(parts, part => Assert.NotEmpty(part));
        return string.Join(" | ", parts);
    }

    private static async Task<List<string>> ReadKeysAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        // The providers' own statement, unquoted as they send it.
        await using var command = new NpgsqlCommand("SELECT QueryKey, QueryText FROM OrleansQuery", connection);
        var keys = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(reader.GetOrdinal("QueryKey")));
        }
        return keys;
    }

    private static Task<long> ScalarAsync(string connectionString, string sql) =>
        StoreProbe.ScalarAsync(StoreKind.Postgres, connectionString, sql);
}
