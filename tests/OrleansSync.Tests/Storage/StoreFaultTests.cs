using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OrleansSync.Gateway.Ops;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Storage;

/// <summary>
/// A store that cannot write, made so for real under a real node (SQLite: the file made read-only, the disk full;
/// PostgreSQL: the database made read-only): publishes answer 503 with <c>Retry-After</c> and the documented error
/// body, a resume gets an <c>unavailable</c> error frame and close 1013, <c>/readyz</c> is not ready and says why, and
/// the episode is logged once however many requests fail. Once the store can write again, everything works without a
/// restart, and without a request having to come first.
/// </summary>
public sealed class StoreFaultTests
{
    private const int RefusedPublishes = 5;

    [Fact]
    public async Task A_read_only_sqlite_file_is_refused_clearly_and_recovered_from_without_a_restart()
    {
        await using var node = await TestNode.StartAsync();
        var sessionId = await DetachedSessionWithAsync(node, "alice", "before");

        using (ReadOnlyFiles.SqliteDatabase(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(node.StoreConnectionString).DataSource))
        {
            await AssertRefusedAsync(node, "alice", sessionId, reason: "read-only");
            var errors = node.Service<RecentLogBuffer>().Newest(RecentLogBuffer.Capacity).Where(entry => entry.Level >= LogLevel.Error).ToList();
            Assert.True(errors.Count == 1, "one error for the episode, not one per request: " + string.Join(" | ", errors.Select(e => e.Message)));
            Assert.Contains("Store writes fail", errors[0].Message);
        }

        await AssertRecoveredAsync(node, "alice", sessionId, "before");
    }

    [Fact]
    public async Task A_full_disk_is_refused_clearly_and_recovered_from_once_there_is_room()
    {
        using var disk = SmallDisk.Mount(megabytes: 8);
        await using var node = await TestNode.StartAsync(("Store:ConnectionString", $"Data Source={Path.Combine(disk.Folder, "node.db")}"));
        var sessionId = await DetachedSessionWithAsync(node, "alice", "before");

        // Events of 48 KB wait in the detached session's inbox until the disk is full.
        var padding = new string('x', 48 * 1024);
        HttpResponseMessage refused;
        var published = 0;
        while (true)
        {
            var response = await node.PublishAsync("alice", new { type = "filler", pad = padding });
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                refused = response;
                break;
            }
            response.Dispose();
            Assert.True(++published < 1_000, "an 8 MB disk took 48 MB of events");
        }
        using (refused)
        {
            await AssertStoreUnavailableAsync(refused);
        }
        // The episode was logged, and /readyz said "full" from then on, until the next write that fits (a full disk may
        // still take a small one: SQLite reuses its WAL file's space), so that is all that is certain here; the read-only
        // tests show the refusals and readiness of a store that takes no write at all.
        Assert.Contains(node.Service<RecentLogBuffer>().Newest(RecentLogBuffer.Capacity),
            entry => entry.Level == LogLevel.Error && entry.Message.StartsWith("Store writes fail (", StringComparison.Ordinal)
                && entry.Message.Contains(": full: SQLite Error 13", StringComparison.Ordinal)); // whichever write found the disk full first

        disk.Resize(megabytes: 64);
        await AssertRecoveredAsync(node, "alice", sessionId, "before");
    }

    [Fact]
    public async Task A_read_only_postgres_database_is_refused_clearly_and_recovered_from_without_a_restart()
    {
        await using var node = await TestNode.StartAsync(StoreKind.Postgres);
        var sessionId = await DetachedSessionWithAsync(node, "alice", "before");
        var server = await PostgresServer.GetAsync();
        var database = new Npgsql.NpgsqlConnectionStringBuilder(node.StoreConnectionString).Database!;

        // Every session the node had ends; the ones it opens from now on are read-only.
        await server.SetReadOnlyAsync(database, readOnly: true, closeSessions: true);
        try
        {
            await AssertRefusedAsync(node, "alice", sessionId, reason: "read-only");
        }
        finally
        {
            // Sessions opened meanwhile stay read-only: the node must replace them by itself.
            await server.SetReadOnlyAsync(database, readOnly: false, closeSessions: false);
        }

        await AssertRecoveredAsync(node, "alice", sessionId, "before");
    }

    /// <summary>A session of <paramref name="user"/> whose socket is gone, with one event queued for its resume.</summary>
    private static async Task<string> DetachedSessionWithAsync(TestNode node, string user, string queuedId)
    {
        string sessionId;
        await using (var tab = await node.ConnectAsync())
        {
            sessionId = (await tab.AuthAsync(TestTokens.For(user))).GetProperty("session_id").GetString()!;
        }
        await node.PublishOkAsync(user, new { type = "queued", id = queuedId });
        return sessionId;
    }

    private static async Task AssertRefusedAsync(TestNode node, string user, string sessionId, string reason)
    {
        for (var i = 0; i < RefusedPublishes; i++)
        {
            using var response = await node.PublishAsync(user, new { type = "refused", id = $"r{i}" });
            await AssertStoreUnavailableAsync(response);
        }

        // Room writes too (a conversation, over /messaging).
        var (status, body) = await new MessagingClient(node, TestTokens.For(user, "church-1", user, user)).SendAsync(HttpMethod.Post, "/conversations",
            new[] { new { contentType = "streamingLive", contentId = "s1", title = "Room", allowAnonymousPosts = false } });
        Assert.True(status == HttpStatusCode.ServiceUnavailable, $"room write answered {(int)status}: {body}");
        Assert.Equal("store_unavailable", body.GetProperty("error").GetString());

        await using (var tab = await node.ConnectAsync())
        {
            await tab.SendJsonAsync(new { type = "auth", token = TestTokens.For(user), session_id = sessionId });
            var error = await tab.NextAsync();
            Assert.Equal("error", error.GetProperty("type").GetString());
            Assert.Equal("unavailable", error.GetProperty("code").GetString());
            var (code, text) = await tab.WaitClosedAsync();
            Assert.Equal((WebSocketCloseStatus)1013, code);
            Assert.Equal("unavailable: retry later", text);
        }

        await Eventually.TrueAsync(async () =>
        {
            using var ready = await node.Http.GetAsync("/readyz");
            var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
            return ready.StatusCode == HttpStatusCode.ServiceUnavailable
                && body.GetProperty("reason").GetString() is { } why && why.StartsWith("store writes fail", StringComparison.Ordinal) && why.Contains(reason);
        }, because: "/readyz says the store cannot write, and why");
    }

    private static async Task AssertStoreUnavailableAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {text}");
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        Assert.Equal("store_unavailable", JsonDocument.Parse(text).RootElement.GetProperty("error").GetString());
    }

    /// <summary>With no request to help it, the node becomes ready; then the session resumes with its queue and publishes reach it.</summary>
    private static async Task AssertRecoveredAsync(TestNode node, string user, string sessionId, string queuedId)
    {
        await Eventually.TrueAsync(async () =>
        {
            using var ready = await node.Http.GetAsync("/readyz");
            return ready.StatusCode == HttpStatusCode.OK;
        }, timeout: TimeSpan.FromSeconds(30), because: "the node notices by itself that the store writes again");

        await using var tab = await node.ConnectAsync();
        var resumed = await tab.AuthAsync(TestTokens.For(user), sessionId);
        Assert.Equal(sessionId, resumed.GetProperty("session_id").GetString());
        Assert.False(resumed.GetProperty("need_full_sync").GetBoolean());
        var first = await tab.NextAsync();
        Assert.Equal(queuedId, first.GetProperty("id").GetString());
        await tab.AckAsync(first.GetProperty("event_id").GetString()!);

        // The tab acks whatever it reads, as an honest one does: the queue may also hold events accepted before the store
        // failed (the disk-full test's fillers), and the session's send window holds later events back until earlier ones
        // are acked.
        var (eventId, sessions) = await node.PublishOkAsync(user, new { type = "queued", id = "after" });
        Assert.Equal(1, sessions);
        while (true)
        {
            var frame = await tab.NextAsync();
            await tab.AckAsync(frame.GetProperty("event_id").GetString()!);
            if (frame.TryGetProperty("id", out var id) && id.GetString() == "after")
            {
                Assert.Equal(eventId, frame.GetProperty("event_id").GetString());
                break;
            }
        }
    }
}
