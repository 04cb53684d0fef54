using OrleansSync.Diagnostics;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Cluster;

/// <summary>
/// The behaviour suites' <see cref="StoreKind.PostgresCluster"/> variants mean something only if grains do run on the
/// second silo: publishes through the test's node reach user grains on both.
/// </summary>
public sealed class TwoSiloSuiteTests
{
    [Fact]
    public async Task Publishes_through_the_tests_node_reach_user_grains_on_both_silos()
    {
        await using var node = await TestNode.StartAsync(StoreKind.PostgresCluster);
        var users = Enumerable.Range(0, 20).Select(i => $"spread-{i}").ToList();
        var tabs = new List<WsClient>();
        foreach (var user in users)
        {
            var tab = await node.ConnectAsync();
            await tab.AuthAsync(TestTokens.For(user));
            tabs.Add(tab);
        }

        foreach (var (user, tab) in users.Zip(tabs))
        {
            var (eventId, _) = await node.PublishOkAsync(user, new { type = "added", id = user });
            Assert.Equal(eventId, (await tab.NextAsync()).GetProperty("event_id").GetString());
            await tab.AckAsync(eventId);
        }

        var here = node.Service<SyncMetrics>().GrainsActivatedSoFar(GrainKinds.User);
        var there = node.PeerService<SyncMetrics>().GrainsActivatedSoFar(GrainKinds.User);
        Assert.True(here > 0 && there > 0, $"user grains: {here} on the test's silo, {there} on the other");
        foreach (var tab in tabs)
        {
            await tab.DisposeAsync();
        }
    }
}
