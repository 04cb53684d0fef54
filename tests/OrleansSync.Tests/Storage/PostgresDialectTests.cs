using OrleansSync.Storage;
using OrleansSync.Storage.Postgres;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Storage;

/// <summary>What is PostgreSQL-specific in the store: choosing it, and migrating when several nodes start at once.</summary>
public sealed class PostgresDialectTests
{
    [Theory]
    [InlineData("Postgres")]
    [InlineData("postgresql")]
    [InlineData("POSTGRESQL")]
    public async Task The_provider_name_is_case_insensitive(string provider)
    {
        await using var dialect = (PostgresDialect)StoreFactory.CreateDialect(new StoreOptions
        {
            Provider = provider,
            ConnectionString = "Host=127.0.0.1;Username=postgres;Database=unused",
        });
        Assert.NotNull(dialect);
    }

    [Fact]
    public void Postgres_without_a_connection_string_is_refused_with_a_clear_message()
    {
        var error = Assert.Throws<InvalidOperationException>(() => StoreFactory.CreateDialect(new StoreOptions { Provider = "Postgres" }));
        Assert.Contains("Store:ConnectionString", error.Message);
    }

    [Theory]
    [InlineData("", "off")]
    [InlineData(";Options=-c jit=on", "on")]
    [InlineData(";Options=-c statement_timeout=4321", "off")]
    public async Task Node_connections_run_without_postgres_jit_unless_the_connection_string_says_otherwise(string extra, string expectedJit)
    {
        var server = await PostgresServer.GetAsync();
        await using var dialect = new PostgresDialect(server.ConnectionString("postgres") + extra);
        await using var connection = await dialect.OpenConnectionAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT current_setting('jit'), current_setting('statement_timeout')";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(expectedJit, reader.GetString(0));
        // Other options given in the connection string are kept.
        Assert.Equal(extra.Contains("4321", StringComparison.Ordinal) ? "4321ms" : "0", reader.GetString(1));
    }

    [Theory]
    [InlineData("", "4321ms")]
    [InlineData(";No Reset On Close=false", "0")]
    [InlineData(";NoResetOnClose=false", "0")]
    public async Task Pooled_connections_skip_the_reset_on_return_unless_the_connection_string_asks_for_it(string extra, string afterReturn)
    {
        var server = await PostgresServer.GetAsync();
        await using var dialect = new PostgresDialect(server.ConnectionString("postgres") + ";Maximum Pool Size=1" + extra);
        await using (var first = await dialect.OpenConnectionAsync(CancellationToken.None))
        await using (var set = first.CreateCommand())
        {
            set.CommandText = "SET statement_timeout = 4321";
            await set.ExecuteNonQueryAsync();
        }
        // The pool holds one connection, so this is the same one, back from the pool.
        await using var second = await dialect.OpenConnectionAsync(CancellationToken.None);
        await using var show = second.CreateCommand();
        show.CommandText = "SELECT current_setting('statement_timeout')";
        Assert.Equal(afterReturn, (string?)await show.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Nodes_migrating_the_same_database_at_once_all_succeed_and_record_the_version_once()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = server.ConnectionString(await server.CreateDatabaseAsync());
        var dialects = Enumerable.Range(0, 6).Select(_ => new PostgresDialect(connectionString)).ToList();
        try
        {
            await Task.WhenAll(dialects.Select(async dialect =>
            {
                await using var connection = await dialect.OpenConnectionAsync(CancellationToken.None);
                await dialect.MigrateAsync(connection, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None);
            }));
            // A later start finds nothing to do.
            await using (var connection = await dialects[0].OpenConnectionAsync(CancellationToken.None))
            {
                await dialects[0].MigrateAsync(connection, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None);
            }

            Assert.Equal(PostgresDialect.SchemaVersion, await StoreProbe.ScalarAsync(StoreKind.Postgres, connectionString, "SELECT COUNT(*) FROM schema_version"));
            Assert.Equal(PostgresDialect.SchemaVersion, await StoreProbe.ScalarAsync(StoreKind.Postgres, connectionString, "SELECT MAX(version) FROM schema_version"));
            Assert.Equal(18, // sessions, session_events, inbox, event_bodies, sockets, outbox, nodes, conversations, messages, reactions, connections,
                             // private_messages, notification_counts; Orleans': orleansquery, orleans_grain_state, orleans_reminders, orleans_membership(_version)
                await StoreProbe.ScalarAsync(StoreKind.Postgres, connectionString,
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_version'"));
        }
        finally
        {
            foreach (var dialect in dialects)
            {
                await dialect.DisposeAsync();
            }
            await server.DropDatabaseAsync(new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database!);
        }
    }
}
