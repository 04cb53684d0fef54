using Orleans.Core.Internal;
using OrleansSync.Cluster;
using OrleansSync.Diagnostics;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Cluster;

/// <summary>The sweeper's obligations outlive its activation: a reminder stored in the node's SQLite file brings it back.</summary>
public sealed class SweeperReminderTests
{
    [Fact]
    public async Task A_lost_sweeper_activation_comes_back_through_its_stored_reminder_and_expires_retention_windows()
    {
        await using var node = await TestNode.StartAsync(("Grains:MinimumReminderPeriod", "00:00:01"),
            ("Delivery:RetentionWindow", "00:00:00.300"), ("Cluster:HeartbeatInterval", "00:00:00.100"));
        Assert.Equal(1, await node.QueryScalarAsync("SELECT COUNT(*) FROM orleans_reminders WHERE reminder_name = @name",
            ("name", SweeperGrain.KeepAliveReminder)));
        var metrics = node.Service<SyncMetrics>();
        await Eventually.TrueAsync(() => metrics.GrainsActivatedSoFar(GrainKinds.Sweeper) == 1, because: "the start activates the sweeper");

        // The activation goes (as idle collection or a crash would take it); nothing but the reminder calls the sweeper.
        await node.Service<IGrainFactory>().GetGrain<ISweeperGrain>(SweeperGrain.Key).AsReference<IGrainManagementExtension>().DeactivateOnIdle();
        var tab = await node.ConnectAsync();
        var sessionId = (await tab.AuthAsync(TestTokens.For("rita"))).GetProperty("session_id").GetString()!;
        await tab.DisposeAsync();
        await node.PublishOkAsync("rita", new { type = "added", id = "waiting" });

        await Eventually.TrueAsync(() => metrics.GrainsActivatedSoFar(GrainKinds.Sweeper) == 2, TimeSpan.FromSeconds(20),
            "the reminder re-activates the sweeper");
        await Eventually.TrueAsync(async () => await node.QueryScalarAsync(
            "SELECT COUNT(*) FROM sessions WHERE session_id = @id AND need_full_sync = @true AND retention_deadline IS NULL",
            ("id", sessionId), ("true", true)) == 1, TimeSpan.FromSeconds(20), "the sweeper, back, expires the detached session");
    }
}
