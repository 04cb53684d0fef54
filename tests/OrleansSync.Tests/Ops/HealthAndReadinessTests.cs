using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using OrleansSync.Gateway.Ops;
using OrleansSync.Storage;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Ops;

/// <summary>/healthz and /readyz on a real node whose SQLite store is made unreachable and then given back.</summary>
public sealed class HealthAndReadinessTests
{
    [Fact]
    public async Task Readyz_answers_503_with_a_reason_while_the_store_is_unreachable()
    {
        await using var node = await TestNode.StartAsync();
        using (var ready = await node.Http.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Equal("ready", JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
        }

        // Take the store's folder away and put a plain file where it was: no new connection can open the database.
        var folder = Path.GetDirectoryName(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(node.StoreConnectionString).DataSource)!;
        var away = folder + "-away";
        Directory.Move(folder, away);
        await File.WriteAllTextAsync(folder, "not a folder");
        try
        {
            SqliteConnection.ClearAllPools(); // idle pooled connections still point at the moved file
            await Eventually.TrueAsync(async () =>
            {
                using var response = await node.Http.GetAsync("/readyz");
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
                {
                    SqliteConnection.ClearAllPools();
                    return false;
                }
                var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                Assert.Equal("unavailable", body.GetProperty("status").GetString());
                // Whichever noticed first: the check's own ping, or a write the node made meanwhile (its heartbeat).
                var reason = body.GetProperty("reason").GetString()!;
                Assert.True(reason.StartsWith("store unreachable", StringComparison.Ordinal) || reason.StartsWith("store writes fail", StringComparison.Ordinal), reason);
                return true;
            }, because: "readiness sees the store is gone");
            using var alive = await node.Http.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        }
        finally
        {
            File.Delete(folder);
            Directory.Move(away, folder);
        }
        await Eventually.TrueAsync(async () =>
        {
            using var response = await node.Http.GetAsync("/readyz");
            return response.StatusCode == HttpStatusCode.OK;
        }, because: "the store is back");
    }

    [Fact]
    public async Task Not_ready_until_migrations_ran()
    {
        var folder = TestFolder.Create();
        var store = new OrleansSync.Storage.Ado.AdoSessionStore(StoreFactory.CreateDialect(new StoreOptions { ConnectionString = $"Data Source={folder}/r.db" }),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<OrleansSync.Storage.Ado.AdoSessionStore>.Instance);
        await using (store)
        {
            var readiness = new ReadinessCheck(store, new StoreHealth(Microsoft.Extensions.Logging.Abstractions.NullLogger<StoreHealth>.Instance, TimeProvider.System));
            var before = await readiness.CheckAsync();
            Assert.False(before.Ready);
            Assert.Contains("migrations", before.Reason);
            await store.MigrateAsync();
            readiness.MarkMigrated();
            Assert.True((await readiness.CheckAsync()).Ready);
        }
        TestFolder.Delete(folder);
    }
}
