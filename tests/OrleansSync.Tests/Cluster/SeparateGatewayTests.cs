using Npgsql;
using Orleans.Runtime;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Cluster;

/// <summary>
/// A gateway-only node on PostgreSQL (<c>Node:Roles=Gateway</c>) is an Orleans client of the cluster, not a silo: it holds
/// sockets, the grains run on the silo nodes, and frames reach its sockets through its gateway observer. Real processes,
/// real PostgreSQL.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class SeparateGatewayTests
{
    [Fact]
    public async Task Tabs_on_a_separate_gateway_get_publishes_through_any_silo_and_after_its_kill_9_resume_on_another_with_every_event_once()
    {
        await using var cluster = await Cluster.CreateAsync();
        (string, string) slowRetry = ("Delivery:RetryInterval", "00:01:00"); // what arrives is the first send or the replay
        var a = await cluster.StartNodeAsync("silo-a", slowRetry);
        var b = await cluster.StartNodeAsync("silo-b", slowRetry);
        var gateway = await cluster.StartNodeAsync("gateway-1", Cluster.GatewayOnly, slowRetry);
        var other = await cluster.StartNodeAsync("gateway-2", Cluster.GatewayOnly, slowRetry);
        // Two silos in Orleans' membership: the gateways joined as clients.
        Assert.Equal(2, await cluster.QueryScalarAsync($"SELECT COUNT(*) FROM orleans_membership WHERE status = {(int)SiloStatus.Active}"));

        var tab = await gateway.ConnectAsync();
        var sessionId = (await tab.AuthAsync(TestTokens.For("kim"))).GetProperty("session_id").GetString()!;
        var published = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            published.Add((await (i % 2 == 0 ? a : b).PublishOkAsync("kim", new { type = "added", id = $"k{i}" })).EventId);
        }
        var received = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            received.Add((await tab.NextAsync()).GetProperty("event_id").GetString()!);
        }
        Assert.Equal(published, received); // from both silos, in publish order
        await tab.AckAsync(published[0]);
        await tab.AckAsync(published[1]); // the last two stay unacked
        // The acks travel on from the gateway one-way: a kill before they reach the grain loses them (the tab would get
        // those two again, as the protocol allows). The publishes were answered once durable, so all four rows are
        // written; the acks have landed once two are left.
        await Eventually.TrueAsync(async () => await cluster.QueryScalarAsync(
            "SELECT COUNT(*) FROM session_events WHERE session_id = @session_id", ("session_id", sessionId)) == 2,
            because: "the two acks reached the session's grain and its store");

        await gateway.KillAsync();
        await tab.WaitClosedAsync();
        await tab.DisposeAsync();
        for (var i = 4; i < 6; i++)
        {
            published.Add((await a.PublishOkAsync("kim", new { type = "added", id = $"k{i}" })).EventId);
        }

        await using var back = await other.ConnectAsync();
        var ok = await back.AuthAsync(TestTokens.For("kim"), sessionId);
        Assert.Equal(sessionId, ok.GetProperty("session_id").GetString());
        Assert.False(ok.GetProperty("need_full_sync").GetBoolean());
        var replayed = await back.NextEventsAckedAsync(4, TimeSpan.FromSeconds(15));
        // The two unacked before the kill, then the two published while no gateway held the tab: each once, in order.
        Assert.Equal(published.Skip(2), replayed);
        Assert.True(await back.NothingWithinAsync(TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task A_tab_whose_session_grain_died_with_its_silo_is_told_to_resume_and_gets_every_event_once()
    {
        await using var cluster = await Cluster.CreateAsync();
        (string, string) slowRetry = ("Delivery:RetryInterval", "00:01:00");
        var a = await cluster.StartNodeAsync("silo-a", slowRetry);
        var gateway = await cluster.StartNodeAsync("gateway-1", Cluster.GatewayOnly, slowRetry);
        var tab = await gateway.ConnectAsync();
        var sessionId = (await tab.AuthAsync(TestTokens.For("lee"))).GetProperty("session_id").GetString()!; // its grain: on silo-a, the only silo
        var (first, _) = await a.PublishOkAsync("lee", new { type = "added", id = "l0" });
        Assert.Equal(first, (await tab.NextAsync()).GetProperty("event_id").GetString());
        await tab.AckAsync(first);
        var b = await cluster.StartNodeAsync("silo-b", slowRetry);

        await a.KillAsync();
        // Through silo-b: once silo-a is declared dead, the user's and the session's grains start there, and the session's
        // grain knows no socket. The copy waits in the inbox, and the gateway, told of it, closes the orphaned socket.
        var (missed, _) = await b.PublishOkAsync("lee", new { type = "added", id = "l1" });
        var (code, reason) = await tab.WaitClosedAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable, code);
        Assert.Equal("session_moved", reason);
        await tab.DisposeAsync();

        await using var back = await gateway.ConnectAsync();
        var ok = await back.AuthAsync(TestTokens.For("lee"), sessionId);
        Assert.Equal(sessionId, ok.GetProperty("session_id").GetString());
        Assert.False(ok.GetProperty("need_full_sync").GetBoolean());
        Assert.Equal(missed, (await back.NextAsync(TimeSpan.FromSeconds(15))).GetProperty("event_id").GetString());
        await back.AckAsync(missed);
        Assert.True(await back.NothingWithinAsync(TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task Auth_ok_on_a_separate_gateway_comes_once_every_node_can_find_the_socket_it_names()
    {
        await using var cluster = await Cluster.CreateAsync();
        var silo = await cluster.StartNodeAsync("silo-a");
        var gateway = await cluster.StartNodeAsync("gateway-1", Cluster.GatewayOnly);
        const string church = "church-g";
        var conversationId = await new MessagingClient(silo, TestTokens.For("host", church, "host-person", "Host")).CreateConversationAsync(allowAnonymousPosts: true);

        // The gateway cannot write the socket's row for now; the session's claim, on the silo's writer, can.
        await using var holder = new NpgsqlConnection(cluster.ConnectionString);
        await holder.OpenAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var lockSockets = new NpgsqlCommand("LOCK TABLE sockets IN EXCLUSIVE MODE", holder, transaction))
        {
            await lockSockets.ExecuteNonQueryAsync();
        }
        await using var tab = await gateway.ConnectAsync();
        await tab.SendJsonAsync(new { type = "auth", token = TestTokens.For("member", church, "member-person", "Member") });
        Assert.True(await tab.NothingWithinAsync(TimeSpan.FromSeconds(1)), "auth_ok came before the socket's row could be written");
        await transaction.RollbackAsync();

        var ok = await tab.NextAsync();
        Assert.Equal("auth_ok", ok.GetProperty("type").GetString());
        // The silo finds the socket by the id auth_ok gave.
        await new MessagingClient(silo).JoinAsync(church, conversationId, ok.GetProperty("socket_id").GetString()!, "Member");
    }
}
