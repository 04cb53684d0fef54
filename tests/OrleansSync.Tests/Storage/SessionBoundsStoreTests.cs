using OrleansSync.Storage;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Storage;

/// <summary>
/// The store's bounds on sessions: a user keeps at most the bound (the oldest go first, detached before attached, with
/// their queues and inboxes), and a session detached longer than its lifetime is deleted.
/// </summary>
public abstract class SessionBoundsStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_750_000_000_000);
    private readonly string _folder = TestFolder.Create();
    private StoreUnderTest? _stores;

    protected abstract StoreKind Store { get; }

    public void Dispose() => TestFolder.Delete(_folder);

    private StoreUnderTest Stores => _stores ??= new StoreUnderTest(Store, _folder);

    private static SessionRecord New(string id, int second, string user = "u1") =>
        new(id, user, NeedFullSync: true, RetentionDeadline: null, DetachedAt: T0.AddSeconds(second));

    private Task<long> SessionsOfAsync(string user) => Stores.ScalarAsync("SELECT COUNT(*) FROM sessions WHERE user_id = @u", ("u", user));

    [Fact]
    public async Task A_user_over_the_bound_loses_the_oldest_sessions_detached_ones_first()
    {
        await using var store = await Stores.OpenAsync();
        const int bound = 3;
        Assert.Empty(await store.CreateSessionAsync(New("a", 1), bound));
        Assert.Empty(await store.CreateSessionAsync(New("b", 2), bound));
        Assert.Empty(await store.CreateSessionAsync(New("c", 3), bound));
        await store.CreateSessionAsync(New("other", 0, user: "u2"), bound); // another user's sessions neither count nor go
        await store.ClaimSessionAsync("a", "u1", "node-1"); // attached: goes after every detached one
        await store.AppendInboxAsync("b", "e1", "{}"u8.ToArray());

        Assert.Equal([new RemovedSession("b", null)], await store.CreateSessionAsync(New("d", 4), bound)); // b detached before c
        Assert.Equal(0, await Stores.ScalarAsync("SELECT COUNT(*) FROM inbox WHERE session_id = 'b'"));
        Assert.Equal([new RemovedSession("c", null)], await store.CreateSessionAsync(New("e", 5), bound));
        Assert.Equal([new RemovedSession("d", null)], await store.CreateSessionAsync(New("f", 6), bound));
        Assert.Equal(bound, await SessionsOfAsync("u1"));

        // Every session attached: the one created first goes, and its owner is named so its socket can be closed.
        var epochE = (await store.ClaimSessionAsync("e", "u1", "node-1"))!.Session.Epoch;
        await store.ClaimSessionAsync("f", "u1", "node-2");
        await store.AppendEventAsync("e", epochE, 0, "e2", "{}"u8.ToArray(), T0);
        Assert.Equal([new RemovedSession("a", "node-1")], await store.CreateSessionAsync(New("g", 7), bound));
        Assert.Null(await store.ClaimSessionAsync("a", "u1", "node-1"));
        Assert.Equal(bound, await SessionsOfAsync("u1"));
        Assert.Equal(1, await SessionsOfAsync("u2"));

        // A bound lowered below what a user has: the next creation brings the user down to it at once.
        var removed = await store.CreateSessionAsync(New("h", 8), 1);
        Assert.Equal(["g", "e", "f"], removed.Select(r => r.SessionId)); // g is detached; e and f by creation
        Assert.Equal(0, await Stores.ScalarAsync("SELECT COUNT(*) FROM session_events WHERE session_id = 'e'"));
        Assert.Equal(1, await SessionsOfAsync("u1"));
        Assert.Equal(2, await store.DeleteUnreferencedEventBodiesAsync()); // e1 and e2, whose only rows went with b and e
    }

    [Fact]
    public async Task Sessions_detached_longer_than_their_lifetime_are_deleted_with_what_they_hold()
    {
        await using var store = await Stores.OpenAsync();
        await store.CreateSessionAsync(New("never-claimed", 0)); // created detached
        await store.CreateSessionAsync(New("released", 0));
        await store.CreateSessionAsync(New("saved", 0));
        await store.CreateSessionAsync(New("attached", 0));
        await store.ClaimSessionAsync("released", "u1", "node-1");
        var saved = (await store.ClaimSessionAsync("saved", "u1", "node-2"))!.Session;
        await store.ClaimSessionAsync("attached", "u1", "node-3");
        // A dead node's sessions detach when it is forgotten; a socket's close saves its session detached.
        await store.ReleaseSessionsOfNodeAsync("node-1", T0.AddSeconds(20), T0.AddSeconds(140));
        await store.SaveSessionAsync(saved with { OwnerNode = null, RetentionDeadline = T0.AddSeconds(160), DetachedAt = T0.AddSeconds(40) });
        await store.AppendInboxAsync("saved", "e1", "{}"u8.ToArray());

        Assert.Equal(0, await store.DeleteEndedSessionsAsync(T0.AddSeconds(-1)));
        Assert.Equal(1, await store.DeleteEndedSessionsAsync(T0.AddSeconds(19)));
        Assert.Null(await store.ClaimSessionAsync("never-claimed", "u1", "node-1"));
        Assert.Equal(1, await store.DeleteEndedSessionsAsync(T0.AddSeconds(39)));
        Assert.Equal(1, await store.DeleteEndedSessionsAsync(T0.AddSeconds(40)));
        Assert.Equal(0, await Stores.ScalarAsync("SELECT COUNT(*) FROM inbox"));
        Assert.Equal(0, await store.DeleteEndedSessionsAsync(T0.AddDays(365))); // an attached session has no end
        Assert.NotNull(await store.ClaimSessionAsync("attached", "u1", "node-3"));
    }
}

public sealed class SessionBoundsStoreTestsOnSqlite : SessionBoundsStoreTests
{
    protected override StoreKind Store => StoreKind.Sqlite;
}

[Collection(nameof(PostgresServer))]
public sealed class SessionBoundsStoreTestsOnPostgres : SessionBoundsStoreTests
{
    protected override StoreKind Store => StoreKind.Postgres;
}
