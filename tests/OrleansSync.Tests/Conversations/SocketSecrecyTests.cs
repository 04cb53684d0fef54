using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Conversations;

/// <summary>
/// A socket id is the only proof of owning a socket (setName and leave act on whoever names it), so nobody but
/// the socket itself may learn it, and the routes act only for ids of live sockets. Real node, real sockets,
/// real /messaging routes; run on each store by the classes at the end.
/// </summary>
public abstract class SocketSecrecyTests : IAsyncLifetime
{
    protected abstract StoreKind Store { get; }

    private const string Church = "church-a";
    private TestNode _node = null!;
    private MessagingClient _host = null!;
    private MessagingClient _stranger = null!;

    public async Task InitializeAsync()
    {
        _node = await TestNode.StartAsync(Store);
        _host = new MessagingClient(_node, TestTokens.For("host-user", Church, "host-person", "Pastor Host"));
        _stranger = new MessagingClient(_node); // no token, as in the reported attack
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task A_stranger_never_learns_a_viewers_socket_id_and_cannot_rename_or_remove_the_viewer()
    {
        var room1 = await _host.CreateConversationAsync(allowAnonymousPosts: true);
        var room2 = await _host.CreateConversationAsync(allowAnonymousPosts: true);
        await using var victim = await _node.ConnectAsync();
        var victimId = await victim.GetIdAsync();
        await new MessagingClient(_node).JoinAsync(Church, room1, victimId, "Victim");
        await victim.AttendanceAsync(1);
        // A second room whose row ids the stranger can also read.
        await using var other = await _node.ConnectAsync();
        await new MessagingClient(_node).JoinAsync(Church, room2, await other.GetIdAsync(), "Other");
        await other.AttendanceAsync(1);

        // The listing keeps the ChurchApps row shape, with the socket id left empty.
        var rows = await _stranger.OkAsync(HttpMethod.Get, $"/connections/{Church}/{room1}");
        var row = Assert.Single(rows.EnumerateArray());
        Assert.Equal("", row.GetProperty("socketId").GetString());
        Assert.Equal("Victim", row.GetProperty("displayName").GetString());
        foreach (var field in new[] { "id", "churchId", "conversationId", "personId", "timeJoined" })
        {
            Assert.True(row.TryGetProperty(field, out _), $"row lost {field}");
        }
        Assert.DoesNotContain(victimId, rows.GetRawText());
        var room1RowId = row.GetProperty("id").GetString()!;
        var room2RowId = (await _stranger.OkAsync(HttpMethod.Get, $"/connections/{Church}/{room2}"))[0].GetProperty("id").GetString()!;

        // Everything the stranger holds or can make up: the listed (empty) socket id, row ids, a random guess.
        var (emptyStatus, emptyError) = await _stranger.SendAsync(HttpMethod.Post, "/connections/setName", new { socketId = "", name = "Hacked" });
        Assert.Equal(HttpStatusCode.BadRequest, emptyStatus);
        Assert.Equal("missing_field", emptyError.GetProperty("error").GetString());
        foreach (var guess in new[] { room1RowId, room2RowId, RandomNumberGenerator.GetHexString(32, lowercase: true) })
        {
            var (renameStatus, renameError) = await _stranger.SendAsync(HttpMethod.Post, "/connections/setName", new { socketId = guess, name = "Hacked" });
            Assert.Equal(HttpStatusCode.NotFound, renameStatus);
            Assert.Equal("unknown_socket", renameError.GetProperty("error").GetString());
            // Leaving is idempotent and answers alike for every id, so it tells a guesser nothing; it removes nothing.
            var left = await _stranger.OkAsync(HttpMethod.Delete, $"/connections/{Church}/{room1}/{guess}");
            Assert.True(left.GetProperty("success").GetBoolean());
        }

        // Had any of that acted, the victim would have heard an attendance without itself or with "Hacked" before
        // this one; instead the next attendance it hears is the witness joining, with the victim still named.
        await using var witness = await _node.ConnectAsync();
        await new MessagingClient(_node).JoinAsync(Church, room1, await witness.GetIdAsync(), "Witness");
        var heard = await victim.NextActionAsync("attendance");
        Assert.Equal(["Victim", "Witness"], ViewerNames(heard));
        var seenByWitness = await witness.AttendanceAsync(2);
        Assert.Equal(["Victim", "Witness"], ViewerNames(seenByWitness));
        Assert.DoesNotContain(victimId, seenByWitness.GetRawText());
        Assert.Equal(["Other"], (await _stranger.OkAsync(HttpMethod.Get, $"/connections/{Church}/{room2}"))
            .EnumerateArray().Select(r => r.GetProperty("displayName").GetString()!).ToArray());
    }

    [Fact]
    public async Task Nothing_another_client_receives_names_a_socket_or_a_session()
    {
        var conversationId = await _host.CreateConversationAsync(allowAnonymousPosts: true);
        var memberToken = TestTokens.For("member-user", Church, "member-person", "Mary");
        var member = new MessagingClient(_node, memberToken);
        await using var memberSocket = await _node.ConnectAsync();
        var ok = await memberSocket.AuthAsync(memberToken);
        var secrets = new[] { ok.GetProperty("socket_id").GetString()!, ok.GetProperty("session_id").GetString()! };
        await member.JoinAsync(Church, conversationId, secrets[0], "Mary");
        await using var witness = await _node.ConnectAsync();
        await _stranger.JoinAsync(Church, conversationId, await witness.GetIdAsync(), "Witness");

        var posted = await member.PostAsync("/messages", new[] { new { conversationId, content = "hello" } });
        var messageId = posted[0].GetProperty("id").GetString()!;
        await member.PostAsync($"/messages/{messageId}/reactions", new { emoji = "👍" });
        await member.PostAsync("/connections/setName", new { socketId = secrets[0], name = "Mary M." });
        await _stranger.PostAsync("/messages/send", new[] { new { churchId = Church, conversationId, displayName = "Guest", content = "last" } });

        // Every frame the witness gets up to the last message: attendance, message, reaction, renamed attendance.
        var frames = new List<string>();
        while (true)
        {
            var text = await witness.NextTextAsync();
            frames.Add(text);
            using var frame = JsonDocument.Parse(text);
            if (RoomFrames.Is(frame.RootElement, "message") && frame.RootElement.GetProperty("data").GetProperty("content").GetString() == "last")
            {
                break;
            }
        }
        Assert.Contains(frames, f => f.Contains("\"reaction\""));
        Assert.Contains(frames, f => f.Contains("Mary M."));
        var answers = new[]
        {
            (await _stranger.OkAsync(HttpMethod.Get, $"/connections/{Church}/{conversationId}")).GetRawText(),
            (await member.OkAsync(HttpMethod.Get, $"/connections/{Church}/{conversationId}")).GetRawText(), // a token shows no more
            (await _stranger.OkAsync(HttpMethod.Get, $"/messages/catchup/{Church}/{conversationId}")).GetRawText(),
            (await _host.OkAsync(HttpMethod.Get, $"/messages/conversation/{conversationId}")).GetRawText(),
        };
        foreach (var seen in frames.Concat(answers))
        {
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, seen);
            }
        }
    }

    [Fact]
    public async Task The_ChurchApps_client_flow_works_unchanged_for_its_own_socket()
    {
        var conversationId = await _host.CreateConversationAsync(allowAnonymousPosts: true);
        await using var tab = await _node.ConnectAsync();
        await using var neighbour = await _node.ConnectAsync();
        var socketId = await tab.GetIdAsync();
        await _stranger.JoinAsync(Church, conversationId, await neighbour.GetIdAsync(), "Neighbour");

        // The bodies as @churchapps/apphelper's SubscriptionManager and B1App's StreamChatManager send them.
        var joined = await _stranger.PostAsync("/connections",
            new[] { new { conversationId, churchId = Church, socketId, personId = (string?)null, displayName = "" } });
        Assert.Equal(socketId, joined[0].GetProperty("socketId").GetString()); // the caller named it: echoing it tells nothing
        await neighbour.AttendanceAsync(2);
        await _stranger.OkAsync(HttpMethod.Get, $"/messages/catchup/{Church}/{conversationId}");
        var renamed = await _stranger.PostAsync("/connections/setName", new { socketId, name = "Tab Owner" });
        Assert.True(renamed.GetProperty("success").GetBoolean());
        await neighbour.NextActionAsync("attendance", d => ViewerNames(d).Contains("Tab Owner"));
        var left = await _stranger.OkAsync(HttpMethod.Delete, $"/connections/{Church}/{conversationId}/{socketId}");
        Assert.True(left.GetProperty("success").GetBoolean());
        Assert.Equal(["Neighbour"], ViewerNames(await neighbour.AttendanceAsync(1)));
    }

    [Fact]
    public async Task Join_rename_and_leave_act_only_for_live_sockets()
    {
        var conversationId = await _host.CreateConversationAsync(allowAnonymousPosts: true);
        var madeUp = RandomNumberGenerator.GetHexString(32, lowercase: true);
        var (joinStatus, joinError) = await _stranger.SendAsync(HttpMethod.Post, "/connections",
            new[] { new { churchId = Church, conversationId, socketId = madeUp, displayName = "Ghost" } });
        Assert.Equal(HttpStatusCode.NotFound, joinStatus);
        Assert.Equal("unknown_socket", joinError.GetProperty("error").GetString());
        Assert.Equal(0, (await _stranger.OkAsync(HttpMethod.Get, $"/connections/{Church}/{conversationId}")).GetArrayLength());

        await using var watcher = await _node.ConnectAsync();
        await _stranger.JoinAsync(Church, conversationId, await watcher.GetIdAsync(), "Watcher");
        var closed = await _node.ConnectAsync();
        var closedId = await closed.GetIdAsync();
        await _stranger.JoinAsync(Church, conversationId, closedId, "Closed");
        await watcher.AttendanceAsync(2);
        await closed.DisposeAsync();
        await watcher.AttendanceAsync(1); // the socket is gone, and with it its rows

        var (renameStatus, renameError) = await _stranger.SendAsync(HttpMethod.Post, "/connections/setName", new { socketId = closedId, name = "Zombie" });
        Assert.Equal(HttpStatusCode.NotFound, renameStatus);
        Assert.Equal("unknown_socket", renameError.GetProperty("error").GetString());
        var (rejoinStatus, _) = await _stranger.SendAsync(HttpMethod.Post, "/connections",
            new[] { new { churchId = Church, conversationId, socketId = closedId, displayName = "Zombie" } });
        Assert.Equal(HttpStatusCode.NotFound, rejoinStatus);
        Assert.True((await _stranger.OkAsync(HttpMethod.Delete, $"/connections/{Church}/{conversationId}/{closedId}")).GetProperty("success").GetBoolean());
        Assert.Equal(["Watcher"], (await _stranger.OkAsync(HttpMethod.Get, $"/connections/{Church}/{conversationId}"))
            .EnumerateArray().Select(r => r.GetProperty("displayName").GetString()!).ToArray());
    }

    [Fact]
    public async Task Alerts_rows_are_listed_only_to_their_own_person()
    {
        var recipientToken = TestTokens.For("rec-user", Church, "rec-person", "Rec");
        var bystanderToken = TestTokens.For("by-user", Church, "by-person", "By");
        await using var phone = await _node.ConnectAsync();
        await using var bystander = await _node.ConnectAsync();
        await new MessagingClient(_node, recipientToken).JoinAsync(Church, "alerts", await phone.GetIdAsync(), "Rec", "rec-person");
        await new MessagingClient(_node, bystanderToken).JoinAsync(Church, "alerts", await bystander.GetIdAsync(), "By", "by-person");

        var (anonymousStatus, anonymousError) = await _stranger.SendAsync(HttpMethod.Get, $"/connections/{Church}/alerts");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousStatus);
        Assert.Equal("alerts_need_auth", anonymousError.GetProperty("error").GetString());
        var (otherChurchStatus, otherChurchError) = await new MessagingClient(_node, TestTokens.For("x", "church-b", "rec-person", "X"))
            .SendAsync(HttpMethod.Get, $"/connections/{Church}/alerts");
        Assert.Equal(HttpStatusCode.Forbidden, otherChurchStatus);
        Assert.Equal("not_your_alerts", otherChurchError.GetProperty("error").GetString());

        var own = await new MessagingClient(_node, recipientToken).OkAsync(HttpMethod.Get, $"/connections/{Church}/alerts");
        var row = Assert.Single(own.EnumerateArray());
        Assert.Equal("rec-person", row.GetProperty("personId").GetString());
        Assert.Equal("", row.GetProperty("socketId").GetString());
        var theirs = await new MessagingClient(_node, bystanderToken).OkAsync(HttpMethod.Get, $"/connections/{Church}/alerts");
        Assert.Equal("by-person", Assert.Single(theirs.EnumerateArray()).GetProperty("personId").GetString());
    }

    private static string[] ViewerNames(JsonElement attendanceOrData)
    {
        var data = attendanceOrData.TryGetProperty("data", out var d) ? d : attendanceOrData;
        return data.GetProperty("viewers").EnumerateArray().Select(v => v.GetProperty("displayName").GetString()!).Order(StringComparer.Ordinal).ToArray();
    }
}

public sealed class SocketSecrecyTestsOnSqlite : SocketSecrecyTests
{
    protected override StoreKind Store => StoreKind.Sqlite;
}

public sealed class SocketSecrecyTestsOnPostgres : SocketSecrecyTests
{
    protected override StoreKind Store => StoreKind.Postgres;
}

/// <summary>The same suite on two silos of one Orleans cluster (grains without a placement of their own spread over both).</summary>
public sealed class SocketSecrecyTestsOnPostgresCluster : SocketSecrecyTests
{
    protected override StoreKind Store => StoreKind.PostgresCluster;
}
