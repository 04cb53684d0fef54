using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Cluster;

/// <summary>
/// The session list a user's grain keeps (for a minute here, so a list that failed to give way would be used for the
/// whole test) against sessions that attach on another node than the publishes go through: the tab's first publish
/// after its <c>auth_ok</c> still reaches it.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class SessionListCopyTests
{
    private static readonly (string, string) LongCopies = ("Cluster:SessionListLifetime", "00:01:00");

    [Fact]
    public async Task A_tab_opened_on_another_node_gets_the_next_publish_through_a_node_that_kept_the_users_list()
    {
        await using var cluster = await Cluster.CreateAsync();
        var a = await cluster.StartNodeAsync("node-a", LongCopies);
        var b = await cluster.StartNodeAsync("node-b", LongCopies);
        await using var onA = await a.ConnectAsync();
        await onA.AuthAsync(TestTokens.For("hana"));
        await PublishUntilACopyIsUsedAsync(a, "hana", onA, b);

        await using var onB = await b.ConnectAsync();
        await onB.AuthAsync(TestTokens.For("hana")); // a new session, on B
        var (eventId, sessions) = await a.PublishOkAsync("hana", new { type = "added", id = "after-open" });

        Assert.Equal(2, sessions);
        Assert.Equal(eventId, (await onB.NextAsync(TimeSpan.FromSeconds(10))).GetProperty("event_id").GetString());
        Assert.Equal(eventId, (await onA.NextAsync(TimeSpan.FromSeconds(10))).GetProperty("event_id").GetString());
    }

    [Fact]
    public async Task A_tab_that_moves_to_another_node_gets_the_next_publish_through_the_node_it_left()
    {
        // Polls every minute: a copy routed by the old owner would wait in the inbox unwoken for the rest of the test.
        (string, string)[] settings = [LongCopies, ("Cluster:HeartbeatInterval", "00:01:00"), ("Cluster:NodeTimeout", "00:05:00")];
        await using var cluster = await Cluster.CreateAsync();
        var a = await cluster.StartNodeAsync("node-a", settings);
        var b = await cluster.StartNodeAsync("node-b", settings);
        var onA = await a.ConnectAsync();
        var sessionId = (await onA.AuthAsync(TestTokens.For("ines"))).GetProperty("session_id").GetString()!;
        await PublishUntilACopyIsUsedAsync(a, "ines", onA, b);
        await onA.DisposeAsync();

        await using var onB = await b.ConnectAsync();
        var resumed = await onB.AuthAsync(TestTokens.For("ines"), sessionId);
        Assert.Equal(sessionId, resumed.GetProperty("session_id").GetString());
        var (eventId, sessions) = await a.PublishOkAsync("ines", new { type = "added", id = "after-move" });

        Assert.Equal(1, sessions);
        Assert.Equal(eventId, (await onB.NextAsync(TimeSpan.FromSeconds(10))).GetProperty("event_id").GetString());
    }

    /// <summary>
    /// Publishes through <paramref name="node"/> until one found the user's list kept by the user's grain (which runs on
    /// one of the nodes: each counts the lookups of the grains it runs).
    /// </summary>
    private static async Task PublishUntilACopyIsUsedAsync(ProcessNode node, string user, WsClient tab, ProcessNode other)
    {
        for (var i = 0; CopyLookups(await node.ScrapeAsync()) + CopyLookups(await other.ScrapeAsync()) == 0; i++)
        {
            Assert.True(i < 50, "the user's grain never used the list it kept");
            var (eventId, _) = await node.PublishOkAsync(user, new { type = "added", id = $"warm{i}" });
            Assert.Equal(eventId, (await tab.NextAsync()).GetProperty("event_id").GetString());
            await tab.AckAsync(eventId);
        }
    }

    private static double CopyLookups(PrometheusText metrics) =>
        metrics.ValueOrZero("orleanssync_session_list_lookups_total", ("source", "copy"));
}
