using System.Text;
using OrleansSync.Storage;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Storage;

/// <summary>
/// An event's bytes are stored once however many sessions wait for it (queue and inbox rows refer to the body), every
/// session still reads them back, the body goes with its last reference, and a store of the previous version (a frame per
/// row) moves its frames into bodies.
/// </summary>
public abstract class EventBodyTests : IDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_750_000_000_000);
    private readonly string _folder = TestFolder.Create();
    private StoreUnderTest? _stores;

    protected abstract StoreKind Store { get; }

    /// <summary>SQL that turns a migrated store into one of the previous version, with frames s1/e1 (queue) and s2/e1, s2/e2 (inbox).</summary>
    protected abstract string MakePreviousVersion { get; }

    public void Dispose() => TestFolder.Delete(_folder);

    protected StoreUnderTest Stores => _stores ??= new StoreUnderTest(Store, _folder);

    private static byte[] Frame(string eventId, int padding) =>
        Encoding.UTF8.GetBytes($"{{\"type\":\"added\",\"pad\":\"{new string('x', padding)}\",\"event_id\":\"{eventId}\"}}");

    private Task<long> BodiesAsync() => Stores.ScalarAsync("SELECT COUNT(*) FROM event_bodies");

    [Fact]
    public async Task An_event_for_many_sessions_is_stored_once_and_every_session_reads_it_back()
    {
        await using var store = await Stores.OpenAsync();
        var frame = Frame("big", 60_000);
        var epochs = new Dictionary<string, long>();
        for (var i = 0; i < 8; i++)
        {
            await store.CreateSessionAsync(new SessionRecord($"s{i}", "u1", NeedFullSync: false, RetentionDeadline: null, DetachedAt: T0));
            if (i < 5)
            {
                epochs[$"s{i}"] = (await store.ClaimSessionAsync($"s{i}", "u1", "node-1"))!.Session.Epoch;
            }
        }

        // Five attached sessions queue it, three detached ones get it in their inbox: one publish, in as few batches as the writer makes.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => i < 5
            ? store.AppendEventAsync($"s{i}", epochs[$"s{i}"], 0, "big", frame, T0)
            : store.AppendInboxAsync($"s{i}", "big", frame))).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, await BodiesAsync());
        Assert.Equal(frame.Length, await Stores.ScalarAsync("SELECT COALESCE(SUM(LENGTH(frame)), 0) FROM event_bodies"));
        Assert.Equal(5, await Stores.ScalarAsync("SELECT COUNT(*) FROM session_events WHERE event_id = 'big'"));
        Assert.Equal(3, await Stores.ScalarAsync("SELECT COUNT(*) FROM inbox WHERE event_id = 'big'"));
        for (var i = 0; i < 8; i++)
        {
            var claimed = (await store.ClaimSessionAsync($"s{i}", "u1", "node-1"))!;
            Assert.False(claimed.Session.NeedFullSync);
            var stored = i < 5 ? Assert.Single(claimed.Queue).Frame : Assert.Single(claimed.Inbox).Frame;
            Assert.Equal(frame, stored);
        }
        // The publish read of the user's sessions carries the waiting bytes too.
        var waiting = (await store.LoadUserSessionsAsync("u1", "node-1")).Where(s => s.WaitingInbox is not null).ToList();
        Assert.Equal(3, waiting.Count);
        Assert.All(waiting, s => Assert.Equal(frame, Assert.Single(s.WaitingInbox!).Frame));
    }

    [Fact]
    public async Task A_body_goes_when_its_last_queue_or_inbox_row_goes()
    {
        await using var store = await Stores.OpenAsync();
        var frame = Frame("e1", 100);
        await store.CreateSessionAsync(new SessionRecord("a", "u1", NeedFullSync: false, RetentionDeadline: null, DetachedAt: T0));
        await store.CreateSessionAsync(new SessionRecord("b", "u1", NeedFullSync: false, RetentionDeadline: null, DetachedAt: T0));
        await store.CreateSessionAsync(new SessionRecord("c", "u1", NeedFullSync: false, RetentionDeadline: T0.AddMinutes(2), DetachedAt: T0));
        var epochA = (await store.ClaimSessionAsync("a", "u1", "node-1"))!.Session.Epoch;
        var epochB = (await store.ClaimSessionAsync("b", "u1", "node-1"))!.Session.Epoch;
        await Task.WhenAll(store.AppendEventAsync("a", epochA, 0, "e1", frame, T0), store.AppendEventAsync("b", epochB, 0, "e1", frame, T0),
            store.AppendInboxAsync("c", "e1", frame));
        Assert.Equal(0, await store.DeleteUnreferencedEventBodiesAsync());

        await store.RemoveEventAsync("a", "e1"); // acked by one tab
        Assert.Equal(0, await store.DeleteUnreferencedEventBodiesAsync());
        await store.RemoveEventAsync("b", "e1"); // and the other
        Assert.Equal(0, await store.DeleteUnreferencedEventBodiesAsync()); // c's inbox still waits for it
        Assert.Equal(1, await BodiesAsync());

        Assert.Equal(1, await store.ExpireSessionsAsync(T0.AddMinutes(3))); // c's retention window passes
        Assert.Equal(1, await store.DeleteUnreferencedEventBodiesAsync());
        Assert.Equal(0, await BodiesAsync());
        Assert.Equal(0, await store.DeleteUnreferencedEventBodiesAsync());
    }

    [Fact]
    public async Task A_fenced_out_append_keeps_its_body_in_the_inbox()
    {
        await using var store = await Stores.OpenAsync();
        var frame = Frame("e1", 100);
        await store.CreateSessionAsync(new SessionRecord("a", "u1", NeedFullSync: false, RetentionDeadline: null, DetachedAt: T0));
        var stale = (await store.ClaimSessionAsync("a", "u1", "node-1"))!.Session.Epoch;
        await store.ClaimSessionAsync("a", "u1", "node-2"); // another node took it over

        await store.AppendEventAsync("a", stale, 0, "e1", frame, T0);
        await store.DeleteUnreferencedEventBodiesAsync();

        var claimed = (await store.ClaimSessionAsync("a", "u1", "node-2"))!;
        Assert.Empty(claimed.Queue);
        Assert.Equal(frame, Assert.Single(claimed.Inbox).Frame);
    }

    [Fact]
    public async Task A_store_of_the_previous_version_moves_its_frames_into_bodies()
    {
        await using (var store = await Stores.OpenAsync())
        {
            await store.CreateSessionAsync(new SessionRecord("s1", "u1", NeedFullSync: false, RetentionDeadline: null, DetachedAt: T0));
            await store.CreateSessionAsync(new SessionRecord("s2", "u1", NeedFullSync: false, RetentionDeadline: null, DetachedAt: T0));
            await store.ClaimSessionAsync("s1", "u1", "node-1");
        }
        await Stores.ExecuteAsync(MakePreviousVersion);
        Assert.Equal(0, await Stores.ScalarAsync("SELECT COUNT(*) FROM sessions WHERE detached_at IS NOT NULL"));

        var before = DateTimeOffset.UtcNow;
        await using var upgraded = await Stores.OpenAsync();

        Assert.Equal(2, await BodiesAsync()); // e1 (queued for s1 and waiting for s2) once, e2
        var s1 = (await upgraded.ClaimSessionAsync("s1", "u1", "node-1"))!;
        Assert.Equal("{\"id\":\"e1\"}", Encoding.UTF8.GetString(Assert.Single(s1.Queue).Frame));
        // The detached session counts as detached since the upgrade (its lifetime starts there); the attached one not at all.
        Assert.Equal(1, await Stores.ScalarAsync("SELECT COUNT(*) FROM sessions WHERE session_id = 's2' AND detached_at >= @at",
            ("at", before.AddSeconds(-1).ToUnixTimeMilliseconds())));
        Assert.Equal(0, await Stores.ScalarAsync("SELECT COUNT(*) FROM sessions WHERE session_id = 's1' AND detached_at IS NOT NULL"));
        var s2 = (await upgraded.ClaimSessionAsync("s2", "u1", "node-1"))!;
        Assert.Equal(["{\"id\":\"e1\"}", "{\"id\":\"e2\"}"], s2.Inbox.Select(e => Encoding.UTF8.GetString(e.Frame)));
    }
}

public sealed class EventBodyTestsOnSqlite : EventBodyTests
{
    protected override StoreKind Store => StoreKind.Sqlite;

    // Version 1 had the frames in the rows and no event_bodies (user_version 1: only version 2 runs again).
    protected override string MakePreviousVersion => """
        DROP TABLE event_bodies;
        ALTER TABLE session_events ADD COLUMN frame BLOB NOT NULL DEFAULT x'';
        ALTER TABLE inbox ADD COLUMN frame BLOB NOT NULL DEFAULT x'';
        INSERT INTO session_events (session_id, seq, event_id, frame) VALUES ('s1', 0, 'e1', CAST('{"id":"e1"}' AS BLOB));
        INSERT INTO inbox (session_id, event_id, frame) VALUES ('s2', 'e1', CAST('{"id":"e1"}' AS BLOB)), ('s2', 'e2', CAST('{"id":"e2"}' AS BLOB));
        UPDATE sessions SET detached_at = NULL;
        PRAGMA user_version = 1;
        """;

    [Fact]
    public async Task A_file_made_without_incremental_auto_vacuum_is_rewritten_once_with_it()
    {
        await (await Stores.OpenAsync()).DisposeAsync();
        Assert.Equal(2, await Stores.ScalarAsync("PRAGMA auto_vacuum")); // a new file is made with it (incremental)
        await Stores.ExecuteAsync("PRAGMA auto_vacuum = NONE; VACUUM;"); // as files of earlier versions were
        Assert.Equal(0, await Stores.ScalarAsync("PRAGMA auto_vacuum"));

        await (await Stores.OpenAsync()).DisposeAsync();

        Assert.Equal(2, await Stores.ScalarAsync("PRAGMA auto_vacuum"));
    }
}

[Collection(nameof(PostgresServer))]
public sealed class EventBodyTestsOnPostgres : EventBodyTests
{
    protected override StoreKind Store => StoreKind.Postgres;

    // Version 5 moved the frames; deleting it from schema_version makes it run again.
    protected override string MakePreviousVersion => """
        DROP TABLE event_bodies;
        ALTER TABLE session_events ADD COLUMN frame BYTEA NOT NULL DEFAULT ''::bytea;
        ALTER TABLE inbox ADD COLUMN frame BYTEA NOT NULL DEFAULT ''::bytea;
        INSERT INTO session_events (session_id, seq, event_id, frame) VALUES ('s1', 0, 'e1', convert_to('{"id":"e1"}', 'UTF8'));
        INSERT INTO inbox (session_id, event_id, frame) VALUES ('s2', 'e1', convert_to('{"id":"e1"}', 'UTF8')), ('s2', 'e2', convert_to('{"id":"e2"}', 'UTF8'));
        UPDATE sessions SET detached_at = NULL;
        DELETE FROM schema_version WHERE version >= 5;
        """;
}
