using OrleansSync.Storage;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Storage;

/// <summary>
/// The publish read: a user's sessions, their owners and what waits in their inboxes. Reads for many users at once
/// (which share round trips on PostgreSQL) must each get exactly their own user's sessions.
/// </summary>
public abstract class UserSessionReadTests : IDisposable
{
    private const int Users = 40;
    private const int UsersWithWaitingEvents = 10;
    private readonly string _folder = TestFolder.Create();

    protected abstract StoreKind Store { get; }

    public void Dispose() => TestFolder.Delete(_folder);

    [Fact]
    public async Task Reads_for_many_users_at_once_each_get_their_own_sessions_owners_and_waiting_events()
    {
        await using var store = await new StoreUnderTest(Store, _folder).OpenAsync();
        // Each user: session 0 owned by the reading node, session 1 by another node, session 2 detached; the first
        // users' sessions each have two events waiting in their inbox.
        var writes = new List<Task>();
        for (var user = 0; user < Users; user++)
        {
            for (var session = 0; session < 3; session++)
            {
                var sessionId = $"u{user}-s{session}";
                await store.CreateSessionAsync(new SessionRecord(sessionId, $"u{user}", NeedFullSync: false, RetentionDeadline: null));
                if (session < 2)
                {
                    await store.ClaimSessionAsync(sessionId, $"u{user}", session == 0 ? "node-1" : "node-2");
                }
                if (user < UsersWithWaitingEvents)
                {
                    writes.Add(store.AppendInboxAsync(sessionId, $"{sessionId}-first", [1]));
                    writes.Add(store.AppendInboxAsync(sessionId, $"{sessionId}-second", [2]));
                }
            }
        }
        await Task.WhenAll(writes);

        var reads = Enumerable.Range(0, 5 * (Users + 1))
            .Select(i => i % (Users + 1) == Users ? "nobody" : $"u{i % (Users + 1)}")
            .Select(user => (User: user, Read: store.LoadUserSessionsAsync(user, "node-1")))
            .ToList();
        await Task.WhenAll(reads.Select(r => r.Read)).WaitAsync(TimeSpan.FromSeconds(30));

        foreach (var (user, read) in reads)
        {
            var sessions = (await read).OrderBy(s => s.SessionId, StringComparer.Ordinal).ToList();
            if (user == "nobody")
            {
                Assert.Empty(sessions);
                continue;
            }
            Assert.Equal([$"{user}-s0", $"{user}-s1", $"{user}-s2"], sessions.Select(s => s.SessionId));
            Assert.Equal(["node-1", "node-2", null], sessions.Select(s => s.OwnerNode));
            var waits = int.Parse(user[1..], System.Globalization.CultureInfo.InvariantCulture) < UsersWithWaitingEvents;
            // The reading node's own session: every waiting event, oldest first; the others: the oldest only.
            Assert.Equal(waits ? [$"{user}-s0-first", $"{user}-s0-second"] : [], Waiting(sessions[0]));
            Assert.Equal(waits ? [$"{user}-s1-first"] : [], Waiting(sessions[1]));
            Assert.Equal(waits ? [$"{user}-s2-first"] : [], Waiting(sessions[2]));
        }
    }

    private static IEnumerable<string> Waiting(UserSession session) => session.WaitingInbox?.Select(e => e.EventId) ?? [];
}

public sealed class UserSessionReadTestsOnSqlite : UserSessionReadTests
{
    protected override StoreKind Store => StoreKind.Sqlite;
}

[Collection(nameof(PostgresServer))]
public sealed class UserSessionReadTestsOnPostgres : UserSessionReadTests
{
    protected override StoreKind Store => StoreKind.Postgres;
}
