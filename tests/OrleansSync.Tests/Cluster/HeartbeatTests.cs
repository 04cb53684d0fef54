using System.Diagnostics;
using Npgsql;
using OrleansSync.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansSync.Tests.Cluster;

/// <summary>
/// A node's heartbeat does not wait for its maintenance round: a round stuck on the store (here a lock on the room
/// outbox, which every round drains) must not make the other nodes count a live node dead and clean up after it (its
/// sockets' rows deleted, its sessions released) while it still serves its sockets.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class HeartbeatTests(ITestOutputHelper output)
{
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(2); // the test cluster's (Cluster.StartNodeAsync)

    [Fact]
    public Task A_node_whose_rounds_are_stuck_keeps_its_heartbeat_and_its_sockets() => Cluster.RunAsync(output, async cluster =>
    {
        var a = await cluster.StartNodeAsync("node-a");
        var b = await cluster.StartNodeAsync("node-b");
        await using var tab = await b.ConnectAsync();
        var socketId = (await tab.AuthAsync(TestTokens.For("hana"))).GetProperty("socket_id").GetString()!;

        await using (var holder = new NpgsqlConnection(cluster.ConnectionString))
        {
            await holder.OpenAsync();
            await using var transaction = await holder.BeginTransactionAsync();
            await using (var lockOutbox = new NpgsqlCommand("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE", holder, transaction))
            {
                await lockOutbox.ExecuteNonQueryAsync();
            }
            var locked = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var held = Stopwatch.StartNew();
            // Both nodes' rounds now wait for the lock...
            await Eventually.TrueAsync(async () => await cluster.QueryScalarAsync(
                "SELECT COUNT(DISTINCT pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%outbox%'") >= 2,
                because: "both nodes' rounds wait for the outbox");
            // ...while node B's heartbeat goes on past the time after which a silent node is cleaned up.
            var beyond = locked + (long)(NodeTimeout * 2).TotalMilliseconds;
            await Eventually.TrueAsync(async () => await cluster.QueryScalarAsync(
                "SELECT heartbeat_at FROM nodes WHERE node_id = 'node-b'") > beyond, TimeSpan.FromSeconds(20),
                "node-b's heartbeat goes on while its rounds are stuck");
            output.WriteLine($"outbox locked for {held.ElapsedMilliseconds} ms");
            await transaction.RollbackAsync();
        }

        Assert.Equal(1, await cluster.QueryScalarAsync("SELECT COUNT(*) FROM sockets WHERE socket_id = @id AND node_id = 'node-b'", ("id", socketId)));
        Assert.Equal(0, await cluster.QueryScalarAsync("SELECT COUNT(*) FROM sessions WHERE owner_node IS NULL"));
        var (published, _) = await a.PublishOkAsync("hana", new { type = "added", id = "after-the-lock" });
        Assert.Equal(published, (await tab.NextAsync()).GetProperty("event_id").GetString());
    });
}
