using System.Net.WebSockets;
using System.Text.Json;
using OrleansSync.Protocol;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Gateway;

/// <summary>
/// Sessions do not pile up: a user keeps at most <c>Delivery:MaxSessionsPerUser</c> (the oldest go first), a session
/// detached longer than <c>Delivery:SessionLifetime</c> is deleted, and a publish to many sessions stores its bytes once.
/// Over real sockets against a real node, on each store (classes at the end).
/// </summary>
public abstract class SessionBoundsTests
{
    protected abstract StoreKind Store { get; }

    protected Task<TestNode> StartNodeAsync(params (string Key, string Value)[] overrides) => TestNode.StartAsync(Store, overrides);

    private static string SessionId(JsonElement authOk) => authOk.GetProperty("session_id").GetString()!;

    private static Task<long> SessionsOfAsync(TestNode node, string user) =>
        node.QueryScalarAsync("SELECT COUNT(*) FROM sessions WHERE user_id = @u", ("u", user));

    /// <summary>Opens a session, closes its socket and waits until the session is detached (so detach times are ordered).</summary>
    private static async Task<string> OpenAndLeaveAsync(TestNode node, string user, string? sessionId = null)
    {
        string id;
        await using (var tab = await node.ConnectAsync())
        {
            id = SessionId(await tab.AuthAsync(TestTokens.For(user), sessionId));
        }
        await Eventually.TrueAsync(async () => await node.QueryScalarAsync(
            "SELECT COUNT(*) FROM sessions WHERE session_id = @id AND owner_node IS NULL", ("id", id)) == 1, because: "the closed tab's session detaches");
        return id;
    }

    [Fact]
    public async Task A_user_opening_more_sessions_than_the_bound_keeps_the_bound_and_the_oldest_are_gone()
    {
        await using var node = await StartNodeAsync(("Delivery:MaxSessionsPerUser", "3"));
        var opened = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            opened.Add(await OpenAndLeaveAsync(node, "nina"));
        }

        Assert.Equal(3, await SessionsOfAsync(node, "nina"));
        foreach (var gone in opened.Take(2))
        {
            Assert.Equal(0, await node.QueryScalarAsync("SELECT COUNT(*) FROM sessions WHERE session_id = @id", ("id", gone)));
        }
        // The oldest tab comes back: its session is gone, so it gets a new one and re-reads its state.
        await using var back = await node.ConnectAsync();
        var ok = await back.AuthAsync(TestTokens.For("nina"), opened[0]);
        Assert.NotEqual(opened[0], SessionId(ok));
        Assert.True(ok.GetProperty("need_full_sync").GetBoolean());
        Assert.Equal(3, await SessionsOfAsync(node, "nina"));
        Assert.Equal(3, await node.CounterAcrossSilosAsync("orleanssync_sessions_deleted_total", ("reason", "user_limit")));
    }

    [Fact]
    public async Task An_attached_session_over_the_bound_is_closed_like_a_session_taken_over()
    {
        await using var node = await StartNodeAsync(("Delivery:MaxSessionsPerUser", "2"));
        await using var first = await node.ConnectAsync();
        var firstId = SessionId(await first.AuthAsync(TestTokens.For("omar")));
        await using var second = await node.ConnectAsync();
        await second.AuthAsync(TestTokens.For("omar"));

        await using var third = await node.ConnectAsync();
        await third.AuthAsync(TestTokens.For("omar"));

        var (code, reason) = await first.WaitClosedAsync();
        Assert.Equal(CloseCodes.SessionReplaced, code); // the tab reconnects with a new session
        Assert.Equal(CloseReasons.SessionReplaced, reason);
        Assert.Equal(WebSocketState.Open, second.State);
        Assert.Equal(2, await SessionsOfAsync(node, "omar"));
        Assert.Equal(0, await node.QueryScalarAsync("SELECT COUNT(*) FROM sessions WHERE session_id = @id", ("id", firstId)));
        var (eventId, sessions) = await node.PublishOkAsync("omar", new { type = "added", id = "o1" });
        Assert.Equal(2, sessions);
        Assert.Equal(eventId, (await second.NextAsync()).GetProperty("event_id").GetString());
        Assert.Equal(eventId, (await third.NextAsync()).GetProperty("event_id").GetString());
    }

    [Fact]
    public async Task A_session_detached_past_its_lifetime_is_deleted_and_its_id_resumes_as_a_new_flagged_session()
    {
        await using var node = await StartNodeAsync(("Delivery:RetentionWindow", "00:00:00.500"), ("Delivery:SessionLifetime", "00:00:02"),
            ("Cluster:HeartbeatInterval", "00:00:00.100"));
        string sessionId;
        await using (var tab = await node.ConnectAsync())
        {
            sessionId = SessionId(await tab.AuthAsync(TestTokens.For("lena")));
            await node.PublishOkAsync("lena", new { type = "added", id = "l1" }); // never acked
        }

        await Eventually.TrueAsync(async () => await node.QueryScalarAsync("SELECT COUNT(*) FROM sessions WHERE session_id = @id", ("id", sessionId)) == 0,
            TimeSpan.FromSeconds(30), because: "the session is deleted once its lifetime is over");
        await Eventually.TrueAsync(async () => await node.QueryScalarAsync("SELECT COUNT(*) FROM event_bodies") == 0, TimeSpan.FromSeconds(30),
            because: "the unacked event's body goes with its last row");
        Assert.Equal(0, await node.QueryScalarAsync("SELECT COUNT(*) FROM session_events"));
        // Counted by the sweeper, on whichever silo holds it, just after its delete commits.
        double deleted = 0;
        await Eventually.TrueAsync(async () => (deleted = await node.CounterAcrossSilosAsync("orleanssync_sessions_deleted_total", ("reason", "lifetime"))) >= 1,
            because: "the lifetime deletion is counted");
        Assert.Equal(1, deleted);

        await using var back = await node.ConnectAsync();
        var ok = await back.AuthAsync(TestTokens.For("lena"), sessionId);
        Assert.NotEqual(sessionId, SessionId(ok));
        Assert.True(ok.GetProperty("need_full_sync").GetBoolean());
    }

    [Fact]
    public async Task One_publish_to_many_sessions_stores_its_body_once_and_every_session_gets_it_replay_included()
    {
        await using var node = await StartNodeAsync(("Cluster:HeartbeatInterval", "00:00:00.100"));
        var detached = new List<string> { await OpenAndLeaveAsync(node, "pat"), await OpenAndLeaveAsync(node, "pat") };
        var tabs = new List<WsClient>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                tabs.Add(await node.ConnectAsync());
                await tabs[^1].AuthAsync(TestTokens.For("pat"));
            }

            var (eventId, sessions) = await node.PublishOkAsync("pat", new { type = "added", id = "p1", pad = new string('x', 50_000) });

            Assert.Equal(6, sessions);
            var frame = await tabs[0].NextTextAsync();
            Assert.Equal(1, await node.QueryScalarAsync("SELECT COUNT(*) FROM event_bodies"));
            Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(frame), await node.QueryScalarAsync("SELECT SUM(LENGTH(frame)) FROM event_bodies"));
            Assert.Equal(4, await node.QueryScalarAsync("SELECT COUNT(*) FROM session_events WHERE event_id = @e", ("e", eventId)));
            Assert.Equal(2, await node.QueryScalarAsync("SELECT COUNT(*) FROM inbox WHERE event_id = @e", ("e", eventId)));
            foreach (var tab in tabs.Skip(1))
            {
                Assert.Equal(frame, await tab.NextTextAsync());
            }
            foreach (var tab in tabs)
            {
                await tab.AckAsync(eventId);
            }
            foreach (var sessionId in detached)
            {
                await using var back = await node.ConnectAsync();
                var ok = await back.AuthAsync(TestTokens.For("pat"), sessionId);
                Assert.False(ok.GetProperty("need_full_sync").GetBoolean());
                Assert.Equal(frame, await back.NextTextAsync()); // the replay, from the one stored copy
                await back.AckAsync(eventId);
                await Eventually.TrueAsync(async () => await node.QueryScalarAsync(
                    "SELECT COUNT(*) FROM session_events WHERE session_id = @id", ("id", sessionId)) == 0, because: "the ack removes the row");
            }

            await Eventually.TrueAsync(async () => await node.QueryScalarAsync("SELECT COUNT(*) FROM event_bodies") == 0,
                TimeSpan.FromSeconds(20), because: "the last ack's sweep deletes the body");
        }
        finally
        {
            foreach (var tab in tabs)
            {
                await tab.DisposeAsync();
            }
        }
    }
}

public sealed class SessionBoundsTestsOnSqlite : SessionBoundsTests
{
    protected override StoreKind Store => StoreKind.Sqlite;

    [Fact]
    public async Task The_store_file_shrinks_once_sessions_with_big_queued_events_are_gone()
    {
        await using var node = await StartNodeAsync(("Delivery:RetentionWindow", "00:00:01"), ("Delivery:SessionLifetime", "00:00:02"),
            ("Cluster:HeartbeatInterval", "00:00:00.100"));
        var tabs = new List<WsClient>();
        var pad = new string('x', 60_000);
        for (var user = 0; user < 10; user++)
        {
            for (var tab = 0; tab < 2; tab++)
            {
                tabs.Add(await node.ConnectAsync());
                await tabs[^1].AuthAsync(TestTokens.For($"big-{user}"));
            }
            for (var i = 0; i < 20; i++)
            {
                await node.PublishOkAsync($"big-{user}", new { type = "added", id = $"b{i}", pad }); // never acked
            }
        }
        var full = await node.QueryScalarAsync("PRAGMA page_count");
        Assert.Equal(200, await node.QueryScalarAsync("SELECT COUNT(*) FROM event_bodies"));
        Assert.True(full > 200 * 60_000 / 4096, $"{full} pages hold the bodies");

        foreach (var tab in tabs)
        {
            await tab.DisposeAsync();
        }

        // Retention passes (queues dropped), lifetime passes (sessions deleted), bodies go, free pages go back.
        await Eventually.TrueAsync(async () => await node.QueryScalarAsync("SELECT COUNT(*) FROM sessions") == 0, TimeSpan.FromSeconds(30),
            because: "every session's lifetime ends");
        // Sessions end over several sweeps on a busy machine, and free pages go back only once they pass the mark: what is
        // certain is that at most the mark's worth stays free, so with 12 MB of bodies the file ends below half its size.
        await Eventually.TrueAsync(async () => await node.QueryScalarAsync("SELECT COUNT(*) FROM event_bodies") == 0, TimeSpan.FromSeconds(30),
            because: "no session waits for the bodies any more");
        await Eventually.TrueAsync(async () => await node.QueryScalarAsync("PRAGMA page_count") < full / 2, TimeSpan.FromSeconds(30),
            because: "the file gives the freed pages back");
        await Eventually.TrueAsync(async () => await node.QueryScalarAsync("PRAGMA freelist_count") < OrleansSync.Storage.Sqlite.SqliteDialect.ReclaimMinimumPages,
            TimeSpan.FromSeconds(30), because: "free pages past the mark go back at the next sweep");
    }
}

public sealed class SessionBoundsTestsOnPostgres : SessionBoundsTests
{
    protected override StoreKind Store => StoreKind.Postgres;
}

/// <summary>The same suite on two silos of one Orleans cluster (grains without a placement of their own spread over both).</summary>
public sealed class SessionBoundsTestsOnPostgresCluster : SessionBoundsTests
{
    protected override StoreKind Store => StoreKind.PostgresCluster;
}
