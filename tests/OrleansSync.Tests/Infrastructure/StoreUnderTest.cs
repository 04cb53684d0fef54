using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrleansSync.Storage;
using OrleansSync.Storage.Ado;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>
/// Opens real stores for a storage test: a SQLite file in the test's folder, or one fresh database on this run's
/// <see cref="PostgresServer"/>. Every store it opens uses the same file or database (a reopen sees what was written).
/// </summary>
public sealed class StoreUnderTest(StoreKind kind, string folder)
{
    private string? _database;

    public async Task<AdoSessionStore> OpenAsync(TimeSpan? commitDelay = null, int? commitBatchSize = null,
        OrleansSync.Delivery.ISessionListInvalidation? sessionLists = null)
    {
        var options = await OptionsAsync();
        options.CommitDelay = commitDelay;
        options.CommitBatchSize = commitBatchSize;
        var store = new AdoSessionStore(StoreFactory.CreateDialect(options), NullLogger<AdoSessionStore>.Instance, Options.Create(options), sessionLists);
        await store.MigrateAsync();
        return store;
    }

    /// <summary>Runs <paramref name="sql"/> on the store's file or database outside any store (e.g. to make it look older).</summary>
    public async Task ExecuteAsync(string sql)
    {
        var dialect = StoreFactory.CreateDialect(await OptionsAsync());
        try
        {
            await using var connection = await dialect.OpenConnectionAsync(CancellationToken.None);
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }
        finally
        {
            if (dialect is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }
    }

    /// <summary>A scalar query on the store's file or database, on a connection of the test's own (<see cref="StoreProbe"/>).</summary>
    public async Task<long> ScalarAsync(string sql, params (string Name, object Value)[] parameters) =>
        await StoreProbe.ScalarAsync(kind, (await OptionsAsync()).ConnectionString!, sql, parameters);

    private async Task<StoreOptions> OptionsAsync() => kind switch
    {
        StoreKind.Sqlite => new StoreOptions
        {
            Provider = "Sqlite",
            ConnectionString = $"Data Source={Path.Combine(folder, "store.db")}",
        },
        _ => new StoreOptions
        {
            Provider = "Postgres",
            ConnectionString = (await PostgresServer.GetAsync()) is var server ? server.ConnectionString(_database ??= await server.CreateDatabaseAsync()) : null,
        },
    };
}
