using OrleansSync.Delivery;
using OrleansSync.Diagnostics;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Gateway;

/// <summary>
/// Idle sessions parking on a real node (SQLite, real sockets): their grains leave memory while the tabs stay
/// connected, and every event still reaches every tab, in order, also when it races a session parking.
/// </summary>
public sealed class SessionParkingNodeTests
{
    [Fact]
    public async Task Idle_tabs_park_and_every_event_still_reaches_every_tab_in_order()
    {
        // A short re-send interval: a session parks one or two intervals after its last event, so rounds race parks.
        await using var node = await TestNode.StartAsync(("Delivery:RetryInterval", "00:00:00.300"));
        var attached = node.Service<AttachedSessions>();
        var metrics = node.Service<SyncMetrics>();
        int SessionGrains() => metrics.ReadGauges().ActiveGrains.Single(g => g.Key == GrainKinds.Session).Value;
        const int users = 4, tabsPerUser = 3, rounds = 6, eventsPerRound = 5;
        var tabs = new List<(string User, WsClient Socket, List<string> Received)>();
        for (var u = 0; u < users; u++)
        {
            for (var t = 0; t < tabsPerUser; t++)
            {
                var socket = await node.ConnectAsync();
                await socket.AuthAsync(TestTokens.For($"parker-{u}"));
                tabs.Add(($"parker-{u}", socket, []));
            }
        }
        using var stop = new CancellationTokenSource();
        var readers = tabs.Select(tab => ReadAndAckAsync(tab.Socket, tab.Received, stop.Token)).ToList();
        try
        {
            await Eventually.TrueAsync(() => attached.ParkedCount == tabs.Count && SessionGrains() == 0,
                because: $"every idle session parks after its attach ({attached.ParkedCount} parked, {SessionGrains()} session grains)");
            Assert.Equal(tabs.Count, attached.Count);
            var scrape = await node.ScrapeAsync();
            Assert.Equal(tabs.Count, scrape.ValueOrZero("orleanssync_sessions_parked"));
            Assert.Equal(tabs.Count, scrape.ValueOrZero("orleanssync_sessions_attached")); // parked ones count as attached

            var published = Enumerable.Range(0, users).ToDictionary(u => $"parker-{u}", _ => new List<string>());
            for (var round = 0; round < rounds; round++)
            {
                // Even rounds start with every session parked; odd ones once half have parked, so publishes race parks.
                var parkedBefore = round % 2 == 0 ? tabs.Count : tabs.Count / 2;
                await Eventually.TrueAsync(() => attached.ParkedCount >= parkedBefore, because: $"{parkedBefore} sessions parked before round {round}");
                await Task.WhenAll(published.Select(async user =>
                {
                    for (var n = 0; n < eventsPerRound; n++)
                    {
                        user.Value.Add((await node.PublishOkAsync(user.Key, new { type = "added", round, n })).EventId);
                    }
                }));
                await Eventually.TrueAsync(() => tabs.All(tab => Count(tab.Received) == published[tab.User].Count),
                    because: $"every tab got round {round}");
            }

            foreach (var tab in tabs)
            {
                // Each event once (a re-send that crossed its ack is dropped by id, as a tab does), in publish order.
                Assert.Equal(published[tab.User], Snapshot(tab.Received).Distinct());
            }
            await Eventually.TrueAsync(() => attached.ParkedCount == tabs.Count, because: "all parked again once acked");
            Assert.Equal(0, await node.QueryScalarAsync("SELECT COUNT(*) FROM session_events"));
        }
        finally
        {
            stop.Cancel();
            foreach (var tab in tabs)
            {
                await tab.Socket.DisposeAsync();
            }
        }
        await Task.WhenAll(readers);
    }

    [Fact]
    public async Task A_node_that_stops_releases_its_parked_sessions()
    {
        await using var node = await TestNode.StartAsync();
        var attached = node.Service<AttachedSessions>();
        await using var tab = await node.ConnectAsync();
        var sessionId = (await tab.AuthAsync(TestTokens.For("paula"))).GetProperty("session_id").GetString()!;
        await Eventually.TrueAsync(() => attached.ParkedCount == 1, because: "the idle session parks");

        await node.StopAsync();

        Assert.Equal(1, await node.QueryScalarAsync(
            "SELECT COUNT(*) FROM sessions WHERE session_id = @id AND owner_node IS NULL AND retention_deadline IS NOT NULL", ("id", sessionId)));
    }

    [Fact]
    public async Task Sessions_stay_in_memory_with_parking_turned_off()
    {
        await using var node = await TestNode.StartAsync(("Delivery:ParkIdleSessions", "false"));
        var attached = node.Service<AttachedSessions>();
        await using var tab = await node.ConnectAsync();
        var sessionId = (await tab.AuthAsync(TestTokens.For("pat"))).GetProperty("session_id").GetString()!;

        // With parking on, the attach's own turn parks the session, and so would this call, answered after that turn.
        await node.Service<SessionService>().Grain(sessionId).HoldsSocketAsync("");

        Assert.True(attached.TryGetGrain(sessionId, out _), "the session's grain left memory with parking off");
        Assert.Equal(0, attached.ParkedCount);
    }

    private static async Task ReadAndAckAsync(WsClient socket, List<string> received, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            string eventId;
            try
            {
                eventId = (await socket.NextAsync(TimeSpan.FromMinutes(2))).GetProperty("event_id").GetString()!;
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            lock (received)
            {
                received.Add(eventId);
            }
            await socket.AckAsync(eventId);
        }
    }

    private static int Count(List<string> received)
    {
        lock (received)
        {
            return received.Distinct().Count();
        }
    }

    private static List<string> Snapshot(List<string> received)
    {
        lock (received)
        {
            return [.. received];
        }
    }
}
