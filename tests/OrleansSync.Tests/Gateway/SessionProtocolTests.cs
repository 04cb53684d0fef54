using System.Text.Json;
using Npgsql;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Gateway;

/// <summary>PROTOCOL §2 over real sockets against a real node; run on each store by the classes at the end.</summary>
public abstract class SessionProtocolTests
{
    protected abstract StoreKind Store { get; }

    private Task<TestNode> StartNodeAsync(params (string Key, string Value)[] overrides) => TestNode.StartAsync(Store, overrides);

    private static string Type(JsonElement frame) => frame.GetProperty("type").GetString()!;
    private static string EventId(JsonElement frame) => frame.GetProperty("event_id").GetString()!;

    [Fact]
    public async Task New_session_needs_full_sync_and_resume_reports_the_cleared_flag()
    {
        await using var node = await StartNodeAsync();
        string sessionId;
        await using (var first = await node.ConnectAsync())
        {
            var ok = await first.AuthAsync(TestTokens.For("alice"));
            Assert.Equal("alice", ok.GetProperty("user").GetString());
            Assert.True(ok.GetProperty("need_full_sync").GetBoolean());
            Assert.False(string.IsNullOrEmpty(ok.GetProperty("socket_id").GetString()));
            sessionId = ok.GetProperty("session_id").GetString()!;
        }
        await using var second = await node.ConnectAsync();
        var resumed = await second.AuthAsync(TestTokens.For("alice"), sessionId);
        Assert.Equal(sessionId, resumed.GetProperty("session_id").GetString());
        Assert.False(resumed.GetProperty("need_full_sync").GetBoolean());
    }

    [Fact]
    public async Task A_quick_reconnect_never_loses_the_cleared_flag_to_its_own_pending_writes()
    {
        // The attach clears the flag with a batched write; a resume right after the close must not overtake it.
        await using var node = await StartNodeAsync();
        string sessionId;
        await using (var first = await node.ConnectAsync())
        {
            sessionId = (await first.AuthAsync(TestTokens.For("alice"))).GetProperty("session_id").GetString()!;
        }
        for (var round = 0; round < 20; round++)
        {
            await using var tab = await node.ConnectAsync();
            var resumed = await tab.AuthAsync(TestTokens.For("alice"), sessionId);
            Assert.Equal(sessionId, resumed.GetProperty("session_id").GetString());
            Assert.False(resumed.GetProperty("need_full_sync").GetBoolean(), $"round {round}");
        }
    }

    [Fact]
    public async Task Another_users_session_id_gets_a_new_session_and_never_their_queue()
    {
        await using var node = await StartNodeAsync();
        await using var alice = await node.ConnectAsync();
        var aliceSession = (await alice.AuthAsync(TestTokens.For("alice"))).GetProperty("session_id").GetString()!;
        alice.Abort();
        await node.PublishOkAsync("alice", new { type = "secret", id = "s1" });

        await using var mallory = await node.ConnectAsync();
        var ok = await mallory.AuthAsync(TestTokens.For("mallory"), aliceSession);
        Assert.NotEqual(aliceSession, ok.GetProperty("session_id").GetString());
        Assert.True(ok.GetProperty("need_full_sync").GetBoolean());
        Assert.True(await mallory.NothingWithinAsync(TimeSpan.FromMilliseconds(300)));

        // Alice's queue is intact.
        await using var aliceAgain = await node.ConnectAsync();
        var resumed = await aliceAgain.AuthAsync(TestTokens.For("alice"), aliceSession);
        Assert.False(resumed.GetProperty("need_full_sync").GetBoolean());
        Assert.Equal("s1", (await aliceAgain.NextAsync()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task An_event_reaches_every_session_of_the_user_in_order_with_the_same_id()
    {
        await using var node = await StartNodeAsync();
        var tabs = new List<WsClient>();
        for (var i = 0; i < 3; i++)
        {
            var tab = await node.ConnectAsync();
            await tab.AuthAsync(TestTokens.For("bob"));
            tabs.Add(tab);
        }
        await using var other = await node.ConnectAsync();
        await other.AuthAsync(TestTokens.For("carol"));

        var published = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var (eventId, sessions) = await node.PublishOkAsync("bob", new { type = "added", id = $"p{i}", nested = new { n = i } });
            Assert.Equal(3, sessions);
            published.Add(eventId);
        }
        foreach (var tab in tabs)
        {
            for (var i = 0; i < 5; i++)
            {
                var frame = await tab.NextAsync();
                Assert.Equal("added", Type(frame));
                Assert.Equal($"p{i}", frame.GetProperty("id").GetString());
                Assert.Equal(i, frame.GetProperty("nested").GetProperty("n").GetInt32());
                Assert.Equal(published[i], EventId(frame));
                await tab.AckAsync(EventId(frame));
            }
        }
        Assert.True(await other.NothingWithinAsync(TimeSpan.FromMilliseconds(300)));
        foreach (var tab in tabs)
        {
            await tab.DisposeAsync();
        }
    }

    [Fact]
    public async Task Unacked_events_are_resent_identically_at_the_configured_pace_and_an_ack_stops_them()
    {
        await using var node = await StartNodeAsync(("Delivery:RetryInterval", "00:00:00.200"));
        await using var tab = await node.ConnectAsync();
        await tab.AuthAsync(TestTokens.For("dave"));
        // Timed from before the publish: the first send cannot precede it, and each re-send waits a full interval
        // after the previous send, so two re-sends take at least 2 × 200 ms however late the frames arrive.
        var started = DateTime.UtcNow;
        var (eventId, _) = await node.PublishOkAsync("dave", new { type = "added", id = "p1" });

        var first = await tab.NextTextAsync();
        var resend1 = await tab.NextTextAsync();
        var resend2 = await tab.NextTextAsync();
        var elapsed = DateTime.UtcNow - started;
        Assert.Equal(first, resend1);
        Assert.Equal(first, resend2);
        Assert.True(elapsed >= TimeSpan.FromMilliseconds(390), $"the publish and two re-sends took only {elapsed.TotalMilliseconds} ms");

        await tab.AckAsync(eventId);
        await tab.AckAsync(eventId); // duplicate: harmless
        await tab.AckAsync("no-such-event"); // unknown: harmless
        // The ack has landed when the node counts it; re-sends counted by then are all there will be (the grain's
        // turns are serial). Observed on the server, so a slow machine delaying the ack cannot fail the test.
        var resentAtAck = 0.0;
        await Eventually.TrueAsync(async () =>
        {
            var metrics = PrometheusText.Parse(await node.Http.GetStringAsync("/metrics"));
            resentAtAck = metrics.ValueOrZero("orleanssync_events_resent_total");
            return metrics.ValueOrZero("orleanssync_events_acked_total") == 1;
        }, because: "the node applies the ack");
        Assert.True(resentAtAck >= 2);
        // Every re-send made before the ack reaches the tab, identical; then the node makes none for 3.5 intervals.
        for (var received = 3; received < 1 + resentAtAck; received++)
        {
            Assert.Equal(first, await tab.NextTextAsync());
        }
        Assert.True(await tab.NothingWithinAsync(TimeSpan.FromMilliseconds(700)), "a re-send after the ack");
        Assert.Equal(resentAtAck, PrometheusText.Parse(await node.Http.GetStringAsync("/metrics")).ValueOrZero("orleanssync_events_resent_total"));
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, tab.State);
    }

    [Fact]
    public async Task After_max_attempts_the_socket_closes_and_the_session_is_gone()
    {
        await using var node = await StartNodeAsync(("Delivery:RetryInterval", "00:00:00.050"), ("Delivery:MaxAttempts", "3"));
        await using var tab = await node.ConnectAsync();
        var sessionId = (await tab.AuthAsync(TestTokens.For("erin"))).GetProperty("session_id").GetString()!;
        await node.PublishOkAsync("erin", new { type = "added", id = "p1" });

        var frames = new List<string>();
        var closed = tab.Closed;
        while (!closed.IsCompleted)
        {
            try
            {
                frames.Add(await tab.NextTextAsync());
            }
            catch (InvalidOperationException)
            {
                break; // closed while waiting
            }
        }
        var (code, reason) = await tab.WaitClosedAsync();
        Assert.Equal(4003, (int)code!);
        Assert.Equal("max_attempts", reason);
        // The node made exactly 3 re-sends (counted where they are made); the tab got the first send and at most
        // those 3 (a re-send still waiting in the socket's buffer when the close starts is dropped with it).
        Assert.Equal(3, PrometheusText.Parse(await node.Http.GetStringAsync("/metrics")).ValueOrZero("orleanssync_events_resent_total"));
        Assert.InRange(frames.Count, 1, 4);
        Assert.All(frames, f => Assert.Equal(frames[0], f));

        await using var again = await node.ConnectAsync();
        var ok = await again.AuthAsync(TestTokens.For("erin"), sessionId);
        Assert.NotEqual(sessionId, ok.GetProperty("session_id").GetString());
        Assert.True(ok.GetProperty("need_full_sync").GetBoolean());
        Assert.True(await again.NothingWithinAsync(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task Resume_within_the_window_replays_missed_events_in_order_without_full_sync()
    {
        await using var node = await StartNodeAsync(("Delivery:RetentionWindow", "00:01:00"));
        await using var tab = await node.ConnectAsync();
        var sessionId = (await tab.AuthAsync(TestTokens.For("frank"))).GetProperty("session_id").GetString()!;
        tab.Abort();

        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add((await node.PublishOkAsync("frank", new { type = "added", id = $"p{i}" })).EventId);
        }
        await using var back = await node.ConnectAsync();
        var ok = await back.AuthAsync(TestTokens.For("frank"), sessionId);
        Assert.Equal(sessionId, ok.GetProperty("session_id").GetString());
        Assert.False(ok.GetProperty("need_full_sync").GetBoolean());
        for (var i = 0; i < 4; i++)
        {
            var frame = await back.NextAsync();
            Assert.Equal(ids[i], EventId(frame));
            Assert.Equal($"p{i}", frame.GetProperty("id").GetString());
        }
    }

    [Fact]
    public async Task Resume_after_the_window_needs_full_sync_and_gets_no_stale_events()
    {
        await using var node = await StartNodeAsync(("Delivery:RetentionWindow", "00:00:00.300"), ("Cluster:HeartbeatInterval", "00:00:00.100"));
        await using var tab = await node.ConnectAsync();
        var sessionId = (await tab.AuthAsync(TestTokens.For("gina"))).GetProperty("session_id").GetString()!;
        await tab.DisposeAsync();
        await node.PublishOkAsync("gina", new { type = "added", id = "stale" });

        // Wait (observably) until the sweeper has dropped the queue in the store.
        await Eventually.TrueAsync(async () => await QueuedRowsAsync(node, sessionId) == 0 && await DeadlineClearedAsync(node, sessionId));

        await using var back = await node.ConnectAsync();
        var ok = await back.AuthAsync(TestTokens.For("gina"), sessionId);
        Assert.Equal(sessionId, ok.GetProperty("session_id").GetString());
        Assert.True(ok.GetProperty("need_full_sync").GetBoolean());
        Assert.Null(await back.NothingWithinAsync(TimeSpan.FromMilliseconds(300)) ? null : await back.NextTextAsync()); // names the stale frame if one comes
    }

    [Fact]
    public async Task A_second_socket_on_the_same_session_takes_it_over()
    {
        await using var node = await StartNodeAsync();
        await using var first = await node.ConnectAsync();
        var sessionId = (await first.AuthAsync(TestTokens.For("hank"))).GetProperty("session_id").GetString()!;
        await using var second = await node.ConnectAsync();
        await second.AuthAsync(TestTokens.For("hank"), sessionId);
        var (code, reason) = await first.WaitClosedAsync();
        Assert.Equal(4002, (int)code!);
        Assert.Equal("session_replaced", reason);

        var (eventId, sessions) = await node.PublishOkAsync("hank", new { type = "added", id = "p1" });
        Assert.Equal(1, sessions);
        Assert.Equal(eventId, EventId(await second.NextAsync()));
    }

    [Fact]
    public async Task A_queue_past_its_bound_falls_back_to_full_sync()
    {
        await using var node = await StartNodeAsync(("Delivery:MaxQueuedPerSession", "3"));
        await using var tab = await node.ConnectAsync();
        var sessionId = (await tab.AuthAsync(TestTokens.For("ivy"))).GetProperty("session_id").GetString()!;
        tab.Abort();
        for (var i = 0; i < 5; i++)
        {
            await node.PublishOkAsync("ivy", new { type = "added", id = $"p{i}" });
        }
        await using var back = await node.ConnectAsync();
        var ok = await back.AuthAsync(TestTokens.For("ivy"), sessionId);
        Assert.True(ok.GetProperty("need_full_sync").GetBoolean());
        Assert.Null(await back.NothingWithinAsync(TimeSpan.FromMilliseconds(300)) ? null : await back.NextTextAsync()); // names the stale frame if one comes
    }

    [Fact]
    public async Task Queued_events_and_flags_survive_a_restart_on_the_same_database()
    {
        await using var node = await StartNodeAsync();
        string sessionId;
        await using (var tab = await node.ConnectAsync())
        {
            sessionId = (await tab.AuthAsync(TestTokens.For("jack"))).GetProperty("session_id").GetString()!;
        }
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await node.PublishOkAsync("jack", new { type = "added", id = $"p{i}" })).EventId);
        }

        await node.RestartAsync();

        await using var back = await node.ConnectAsync();
        var ok = await back.AuthAsync(TestTokens.For("jack"), sessionId);
        Assert.False(ok.GetProperty("need_full_sync").GetBoolean());
        foreach (var id in ids)
        {
            var frame = await back.NextAsync();
            Assert.Equal(id, EventId(frame));
            await back.AckAsync(id);
        }
        // Publishing after the restart still reaches the resumed session (the user's session list was reloaded).
        var (later, sessions) = await node.PublishOkAsync("jack", new { type = "added", id = "p3" });
        Assert.Equal(1, sessions);
        Assert.Equal(later, EventId(await back.NextAsync()));
    }

    private static async Task<long> QueuedRowsAsync(TestNode node, string sessionId) =>
        await node.QueryScalarAsync("SELECT COUNT(*) FROM session_events WHERE session_id = @id", ("id", sessionId));

    private static async Task<bool> DeadlineClearedAsync(TestNode node, string sessionId) =>
        await node.QueryScalarAsync("SELECT COUNT(*) FROM sessions WHERE session_id = @id AND retention_deadline IS NULL AND need_full_sync = @true",
            ("id", sessionId), ("true", true)) == 1;
}

public sealed class SessionProtocolTestsOnSqlite : SessionProtocolTests
{
    protected override StoreKind Store => StoreKind.Sqlite;
}

public sealed class SessionProtocolTestsOnPostgres : SessionProtocolTests
{
    protected override StoreKind Store => StoreKind.Postgres;

    [Fact]
    public async Task An_inbox_write_that_commits_around_the_expiry_is_not_replayed_after_need_full_sync()
    {
        // Under read committed, an inbox insert that read the session before the expiry committed can commit after
        // the expiry's delete ran: the row outlives the flag. The resume must still not deliver it.
        // The window leaves the insert ample time to run before the expiry on a busy machine (with 300 ms it
        // sometimes ran after it and found the session expired); the commit then waits for the expiry.
        await using var node = await TestNode.StartAsync(Store, ("Delivery:RetentionWindow", "00:00:02"), ("Cluster:HeartbeatInterval", "00:00:00.100"));
        await using var racing = new NpgsqlConnection(node.StoreConnectionString);
        await racing.OpenAsync();
        await using var tab = await node.ConnectAsync();
        var sessionId = (await tab.AuthAsync(TestTokens.For("gina"))).GetProperty("session_id").GetString()!;
        await tab.DisposeAsync();
        await Eventually.TrueAsync(async () => await node.QueryScalarAsync(
            "SELECT COUNT(*) FROM sessions WHERE session_id = @id AND retention_deadline IS NOT NULL", ("id", sessionId)) == 1);

        await using var transaction = await racing.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO event_bodies (event_id, frame) VALUES ('stale', @frame); " +
            "INSERT INTO inbox (session_id, event_id) SELECT session_id, 'stale' FROM sessions WHERE session_id = @id AND NOT need_full_sync",
            racing, transaction))
        {
            insert.Parameters.AddWithValue("id", sessionId);
            insert.Parameters.AddWithValue("frame", "{\"type\":\"added\",\"event_id\":\"stale\"}"u8.ToArray());
            Assert.Equal(2, await insert.ExecuteNonQueryAsync()); // the body and the inbox row
        }
        await Eventually.TrueAsync(async () => await node.QueryScalarAsync(
            "SELECT COUNT(*) FROM sessions WHERE session_id = @id AND need_full_sync", ("id", sessionId)) == 1);
        await transaction.CommitAsync();
        Assert.Equal(1, await node.QueryScalarAsync("SELECT COUNT(*) FROM inbox WHERE session_id = @id", ("id", sessionId)));

        await using var back = await node.ConnectAsync();
        var ok = await back.AuthAsync(TestTokens.For("gina"), sessionId);
        Assert.Equal(sessionId, ok.GetProperty("session_id").GetString());
        Assert.True(ok.GetProperty("need_full_sync").GetBoolean());
        Assert.Null(await back.NothingWithinAsync(TimeSpan.FromMilliseconds(300)) ? null : await back.NextTextAsync());
        await Eventually.TrueAsync(async () => await node.QueryScalarAsync("SELECT COUNT(*) FROM inbox WHERE session_id = @id", ("id", sessionId)) == 0);
    }
}

/// <summary>The protocol suite on two silos of one Orleans cluster: users' and sweeper grains may run on the other silo.</summary>
public sealed class SessionProtocolTestsOnPostgresCluster : SessionProtocolTests
{
    protected override StoreKind Store => StoreKind.PostgresCluster;
}
