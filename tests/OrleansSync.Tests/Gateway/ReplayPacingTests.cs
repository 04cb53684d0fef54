using System.Net.WebSockets;
using System.Text.Json;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Gateway;

/// <summary>
/// Issue 20 item 1 over real sockets: a long queue replays completely to a tab that acks (the session paces itself
/// through its send window instead of flooding the socket's outbound buffer), and acks a tab sent before it saw the
/// server's close still count. Run on each store by the classes at the end.
/// </summary>
public abstract class ReplayPacingTests
{
    protected abstract StoreKind Store { get; }

    private static string EventId(JsonElement frame) => frame.GetProperty("event_id").GetString()!;

    [Fact]
    public async Task A_resume_with_1200_queued_events_of_up_to_5_KB_replays_each_once_in_order_to_a_tab_that_acks()
    {
        // No re-send during the test (every frame is a first send), a queue bound above the test's 1,200 events, and the
        // default outbound buffer (256 frames) and send window (64).
        await using var node = await TestNode.StartAsync(Store, ("Delivery:RetryInterval", "00:05:00"), ("Delivery:MaxQueuedPerSession", "2000"));
        string sessionId;
        await using (var first = await node.ConnectAsync())
        {
            sessionId = (await first.AuthAsync(TestTokens.For("rita"))).GetProperty("session_id").GetString()!;
            // 300 of 5 KB while the tab is there and acks nothing: one window goes out, the rest waits in the queue.
            await node.PublishManyAsync("rita", 300, new { type = "added", pad = new string('x', 5_000) });
            await first.CloseOutputAsync();
            await first.WaitClosedAsync();
        }
        await Eventually.TrueAsync(async () =>
            await node.QueryScalarAsync("SELECT COUNT(*) FROM sessions WHERE session_id = @id AND owner_node IS NULL", ("id", sessionId)) == 1,
            because: "the closed socket's session is detached");
        // 900 of about 100 B while it is away: they wait in the session's inbox.
        await node.PublishManyAsync("rita", 900, new { type = "added", pad = new string('y', 60) });
        var expected = await node.QueryStringsAsync("SELECT event_id FROM session_events WHERE session_id = @id ORDER BY seq", ("id", sessionId));
        expected.AddRange(await node.QueryStringsAsync("SELECT event_id FROM inbox WHERE session_id = @id ORDER BY id", ("id", sessionId)));
        Assert.Equal(1200, expected.Count);

        await using var back = await node.ConnectAsync();
        Assert.False((await back.AuthAsync(TestTokens.For("rita"), sessionId)).GetProperty("need_full_sync").GetBoolean());
        var received = new List<string>();
        while (received.Count < expected.Count)
        {
            var eventId = EventId(await back.NextAsync(TimeSpan.FromSeconds(30)));
            received.Add(eventId);
            await back.AckAsync(eventId);
        }

        Assert.Equal(expected, received);
        Assert.False(back.Closed.IsCompleted, "the tab was closed");
        Assert.Equal(0, (await node.ScrapeAsync()).ValueOrZero("orleanssync_frames_rejected_total", ("reason", "slow_consumer")));
        await Eventually.TrueAsync(async () =>
            await node.QueryScalarAsync("SELECT COUNT(*) FROM session_events WHERE session_id = @id", ("id", sessionId)) == 0,
            TimeSpan.FromSeconds(30), because: "every acked event leaves the durable queue");
        var (marker, _) = await node.PublishOkAsync("rita", new { type = "marker" });
        Assert.Equal(marker, EventId(await back.NextAsync()));
    }

    [Fact]
    public async Task Acks_a_tab_sends_after_the_server_closed_its_socket_still_remove_their_events_from_the_replay()
    {
        await using var node = await TestNode.StartAsync(Store, ("Delivery:RetryInterval", "00:05:00"), ("Gateway:MaxFramesPerSecond", "5"));
        await using var tab = await node.ConnectAsync();
        var sessionId = (await tab.AuthAsync(TestTokens.For("lara"))).GetProperty("session_id").GetString()!;
        var got = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            await node.PublishOkAsync("lara", new { type = "added", n = i });
            got.Add(EventId(await tab.NextAsync()));
        }
        // A flood of pings gets the socket closed (1008) by the server; the tab acks what it got only after it read
        // that close, then answers the close.
        for (var i = 0; i < 200 && !tab.Closed.IsCompleted; i++)
        {
            await tab.SendTextAsync("""{"type":"ping"}""");
        }
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, (await tab.WaitClosedAsync()).Code);
        foreach (var eventId in got)
        {
            await tab.AckAsync(eventId);
        }
        await tab.CloseOutputAsync();

        await Eventually.TrueAsync(async () =>
            await node.QueryScalarAsync("SELECT COUNT(*) FROM session_events WHERE session_id = @id", ("id", sessionId)) == 0,
            TimeSpan.FromSeconds(20), because: "the acks read after the close reach the (detached) session");
        await using var back = await node.ConnectAsync();
        Assert.False((await back.AuthAsync(TestTokens.For("lara"), sessionId)).GetProperty("need_full_sync").GetBoolean());
        var (marker, _) = await node.PublishOkAsync("lara", new { type = "marker" });
        Assert.Equal(marker, EventId(await back.NextAsync())); // nothing acked came back before it
    }
}

public sealed class ReplayPacingTestsOnSqlite : ReplayPacingTests
{
    protected override StoreKind Store => StoreKind.Sqlite;
}

public sealed class ReplayPacingTestsOnPostgres : ReplayPacingTests
{
    protected override StoreKind Store => StoreKind.Postgres;
}

/// <summary>The same suite on two silos of one Orleans cluster (grains without a placement of their own spread over both).</summary>
public sealed class ReplayPacingTestsOnPostgresCluster : ReplayPacingTests
{
    protected override StoreKind Store => StoreKind.PostgresCluster;
}
