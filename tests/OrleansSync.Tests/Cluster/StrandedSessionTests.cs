using System.Diagnostics;
using System.Globalization;
using OrleansSync.Cluster;
using OrleansSync.Protocol;
using OrleansSync.Storage;
using OrleansSync.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace OrleansSync.Tests.Cluster;

/// <summary>
/// A session the store says a live node owns while no socket of that node holds it (stranded: its grain could not
/// release it) is released by that node's ownership check, with its retention clock starting, once two checks in a row
/// saw it so at the same epoch. Without that nothing releases it while the node runs: it never expires, and its queue and
/// inbox stay for good (issue 16).
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class StrandedSessionTests(ITestOutputHelper output)
{
    /// <summary>The heartbeat <see cref="Cluster"/> gives its nodes.</summary>
    private static readonly TimeSpan Heartbeat = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// From the socket's close to the release: the first ownership check that sees the session stranded comes within one
    /// check interval, the release at the next one, plus a heartbeat for the round in progress.
    /// </summary>
    private static readonly TimeSpan ReleaseBound = 2 * NodeMaintenance.OwnershipCheckEveryBeats * Heartbeat + Heartbeat;

    /// <summary>
    /// Lateness allowed beyond <see cref="ReleaseBound"/>: each heartbeat is the interval plus the round's own duration on
    /// a loaded two-core machine, and the gateway's close handshake before the socket leaves its registry.
    /// </summary>
    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(2);

    /// <summary>Long enough for the test to see the released session before it expires.</summary>
    private static readonly TimeSpan RetentionWindow = TimeSpan.FromSeconds(4);

    private static readonly (string, string)[] Delivery =
    [
        ("Delivery:RetryInterval", "00:01:00"), // nothing is re-sent meanwhile
        ("Delivery:RetentionWindow", RetentionWindow.ToString("c", CultureInfo.InvariantCulture)),
    ];

    [Fact]
    public Task A_separate_gateways_session_whose_grain_died_with_its_silo_is_released_and_expires_once_when_the_tab_never_resumes() => Cluster.RunAsync(output, RunAsync);

    private async Task RunAsync(Cluster cluster)
    {
        var (a, gateway, b, tab, sessionId) = await cluster.StartTabOnSiloAAsync("ines", [.. Delivery, .. Cluster.FastSiloDeathDetection], Delivery);
        var (unacked, _) = await b.PublishOkAsync("ines", new { type = "added", id = "i0" });
        Assert.Equal(unacked, (await tab.NextAsync()).GetProperty("event_id").GetString()); // never acked

        await a.KillAsync();
        var (code, reason) = await tab.WaitClosedAsync(TimeSpan.FromSeconds(30));
        var sinceClose = Stopwatch.StartNew();
        Assert.Equal(CloseCodes.ServerStopping, code);
        Assert.Equal(CloseReasons.SessionMoved, reason);
        await tab.DisposeAsync(); // the tab never comes back; its detach reached a fresh activation of the grain
        await b.PublishOkAsync("ines", new { type = "added", id = "i1" }); // published while it is away: waits in the inbox

        // Released by the gateway, the live node the store still named, with its retention clock running; nothing dropped yet.
        var released = "SELECT COUNT(*) FROM sessions WHERE session_id = @id AND owner_node IS NULL AND retention_deadline IS NOT NULL AND NOT need_full_sync";
        await Eventually.TrueAsync(async () => await cluster.QueryScalarAsync(released, ("id", sessionId)) == 1, ReleaseBound + Tolerance,
            $"the session is released within two ownership checks and a heartbeat ({ReleaseBound.TotalMilliseconds} ms) of its socket's close");
        output.WriteLine($"released {sinceClose.ElapsedMilliseconds} ms after the close (bound {ReleaseBound.TotalMilliseconds} ms)");
        Assert.Equal(1, await cluster.QueryScalarAsync("SELECT COUNT(*) FROM session_events WHERE session_id = @id", ("id", sessionId)));
        Assert.Equal(1, await cluster.QueryScalarAsync("SELECT COUNT(*) FROM inbox WHERE session_id = @id", ("id", sessionId)));
        Assert.Equal(1, (await gateway.ScrapeAsync()).ValueOrZero("orleanssync_sessions_stranded_released_total", ("node", gateway.NodeId)));

        // Then its retention window passes: flagged, queue and inbox dropped, once in the whole cluster.
        await Eventually.TrueAsync(async () => await cluster.QueryScalarAsync("SELECT COUNT(*) FROM sessions WHERE session_id = @id AND need_full_sync",
            ("id", sessionId)) == 1, RetentionWindow + TimeSpan.FromSeconds(10), "the released session expires");
        Assert.Equal(0, await cluster.QueryScalarAsync("SELECT COUNT(*) FROM session_events WHERE session_id = @id", ("id", sessionId)));
        Assert.Equal(0, await cluster.QueryScalarAsync("SELECT COUNT(*) FROM inbox WHERE session_id = @id", ("id", sessionId)));
        double expired = 0;
        await Eventually.TrueAsync(async () => (expired = await Cluster.SumCounterAsync("orleanssync_sessions_expired_total", b, gateway)) >= 1, because: "the sweeper counts the expiry");
        Assert.Equal(1, expired);
    }

    /// <summary>
    /// The two-check rule on one SQLite node, checks driven by the test (the node's own heartbeat is an hour): a session
    /// claimed through the store with no socket (what a claim that never reached its socket, or a detach that reached no
    /// grain, leaves) is released at the second check that sees it, not the first; a new claim in between starts over.
    /// A session whose socket is attached is never released.
    /// </summary>
    [Fact]
    public async Task A_session_owned_with_no_socket_here_is_released_at_the_second_ownership_check_that_sees_it_at_the_same_epoch()
    {
        const string nodeId = "stranding-node";
        await using var node = await TestNode.StartAsync(("Node:Id", nodeId), ("Cluster:HeartbeatInterval", "01:00:00"), ("Delivery:RetentionWindow", "00:10:00"));
        var maintenance = node.Service<NodeMaintenance>();
        var store = node.Service<ISessionStore>();
        var token = TestTokens.For("sam");

        string sessionId;
        await using (var left = await node.ConnectAsync())
        {
            sessionId = (await left.AuthAsync(token)).GetProperty("session_id").GetString()!;
        }
        await Eventually.TrueAsync(async () => await OwnedAsync(node, sessionId) == 0, because: "the socket's close released the session");
        await using var staying = await node.ConnectAsync();
        var attachedId = (await staying.AuthAsync(token)).GetProperty("session_id").GetString()!;

        Assert.NotNull(await store.ClaimSessionAsync(sessionId, "sam", nodeId));
        await maintenance.CheckOwnershipAsync(CancellationToken.None);
        Assert.Equal(1, await OwnedAsync(node, sessionId)); // first seen: could be a claim on its way to its socket
        Assert.NotNull(await store.ClaimSessionAsync(sessionId, "sam", nodeId)); // a new claim: a new epoch
        await maintenance.CheckOwnershipAsync(CancellationToken.None);
        Assert.Equal(1, await OwnedAsync(node, sessionId));
        var epoch = await node.QueryScalarAsync("SELECT epoch FROM sessions WHERE session_id = @id", ("id", sessionId));
        await maintenance.CheckOwnershipAsync(CancellationToken.None);

        Assert.Equal(0, await OwnedAsync(node, sessionId));
        Assert.Equal(1, await node.QueryScalarAsync("SELECT COUNT(*) FROM sessions WHERE session_id = @id AND retention_deadline IS NOT NULL " +
            "AND detached_at IS NOT NULL AND epoch = @epoch", ("id", sessionId), ("epoch", epoch + 1)));
        Assert.Equal(1, await OwnedAsync(node, attachedId));
        Assert.Equal(1, (await node.ScrapeAsync()).ValueOrZero("orleanssync_sessions_stranded_released_total", ("node", nodeId)));
        await maintenance.CheckOwnershipAsync(CancellationToken.None);
        Assert.Equal(1, await OwnedAsync(node, attachedId));
    }

    private static Task<long> OwnedAsync(TestNode node, string sessionId) =>
        node.QueryScalarAsync("SELECT COUNT(*) FROM sessions WHERE session_id = @id AND owner_node IS NOT NULL", ("id", sessionId));
}
