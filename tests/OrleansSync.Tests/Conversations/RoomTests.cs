using System.Net;
using System.Text.Json;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Conversations;

/// <summary>PROTOCOL §3 over real sockets and the real /messaging routes; run on each store by the classes at the end.</summary>
public abstract class RoomTests : IAsyncLifetime
{
    protected abstract StoreKind Store { get; }

    private const string Church = "church-a";
    private TestNode _node = null!;
    private MessagingClient _host = null!;

    public async Task InitializeAsync()
    {
        _node = await TestNode.StartAsync(Store, ("Delivery:RetryInterval", "00:00:00.300"));
        _host = new MessagingClient(_node, TestTokens.For("host-user", Church, "host-person", "Pastor Host"));
    }

    public async Task DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task A_lone_surrogate_in_a_body_is_400_bad_json_on_every_route_that_reads_strings()
    {
        var conversationId = await _host.CreateConversationAsync(allowAnonymousPosts: true);
        var posted = await _host.PostAsync("/messages", new[] { new { conversationId, content = "hello" } });
        var messageId = posted[0].GetProperty("id").GetString()!;
        const string lone = "\\ud800"; // the JSON escape \ud800: valid syntax, no valid UTF-16 string
        var attempts = new (MessagingClient Client, string Path, string Body)[]
        {
            (new MessagingClient(_node), "/connections/setName", $$"""{"socketId":"s","name":"{{lone}}"}"""),
            (_host, $"/conversations/{conversationId}/callout", $$"""{"content":"{{lone}}"}"""),
            (_host, $"/messages/{messageId}/reactions", $$"""{"emoji":"{{lone}}"}"""),
            (_host, "/messages", $$"""[{"conversationId":"{{conversationId}}","content":"{{lone}}"}]"""),
            (new MessagingClient(_node), "/messages/send", $$"""[{"churchId":"{{Church}}","conversationId":"{{conversationId}}","displayName":"x","content":"{{lone}}"}]"""),
        };
        foreach (var (client, path, body) in attempts)
        {
            var (status, error) = await client.SendAsync(HttpMethod.Post, path, body);
            Assert.True(status == HttpStatusCode.BadRequest, $"{path} answered {(int)status}: {error}");
            Assert.Equal("bad_json", error.GetProperty("error").GetString());
        }
        // Nothing was saved, and the room still works.
        var history = await _host.OkAsync(HttpMethod.Get, $"/messages/conversation/{conversationId}");
        Assert.Equal(["hello"], history.EnumerateArray().Select(m => m.GetProperty("content").GetString()!).ToArray());
    }

    [Fact]
    public async Task GetId_is_answered_with_the_socket_id_frame()
    {
        await using var client = await _node.ConnectAsync();
        await client.SendTextAsync("getId");
        var text = await client.NextTextAsync();
        using var frame = JsonDocument.Parse(text);
        var root = frame.RootElement;
        Assert.Equal("", root.GetProperty("churchId").GetString());
        Assert.Equal("", root.GetProperty("conversationId").GetString());
        Assert.Equal("socketId", root.GetProperty("action").GetString());
        Assert.Equal(32, root.GetProperty("data").GetString()!.Length);
        Assert.Equal(4, root.EnumerateObject().Count());
    }

    [Fact]
    public async Task Two_anonymous_sockets_chat_and_see_each_other_until_one_leaves()
    {
        var conversationId = await _host.CreateConversationAsync(allowAnonymousPosts: true);
        var anonymous = new MessagingClient(_node);
        await using var ann = await _node.ConnectAsync();
        await using var ben = await _node.ConnectAsync();
        var annSocket = await ann.GetIdAsync();
        var benSocket = await ben.GetIdAsync();

        var joined = await anonymous.JoinAsync(Church, conversationId, annSocket, "Ann");
        Assert.False(string.IsNullOrEmpty(joined[0].GetProperty("id").GetString()));
        Assert.Equal(annSocket, joined[0].GetProperty("socketId").GetString());
        await ann.AttendanceAsync(1);
        await anonymous.JoinAsync(Church, conversationId, benSocket, "");
        var attendance = (await ben.AttendanceAsync(2)).GetProperty("data");
        Assert.Equal(conversationId, attendance.GetProperty("conversationId").GetString());
        Assert.Equal(["Ann", "Anonymous"], attendance.GetProperty("viewers").EnumerateArray().Select(v => v.GetProperty("displayName").GetString()!).ToArray());
        await ann.AttendanceAsync(2);

        var saved = await anonymous.PostAsync("/messages/send", new[] { new { churchId = Church, conversationId, displayName = "Ann", content = "hello" } });
        var savedId = saved[0].GetProperty("id").GetString();
        foreach (var socket in new[] { ann, ben })
        {
            var message = await socket.NextActionAsync("message");
            Assert.Equal(Church, message.GetProperty("churchId").GetString());
            Assert.Equal(conversationId, message.GetProperty("conversationId").GetString());
            Assert.False(message.TryGetProperty("event_id", out _)); // anonymous sockets: best effort, no acks
            var data = message.GetProperty("data");
            Assert.Equal(savedId, data.GetProperty("id").GetString());
            Assert.Equal("hello", data.GetProperty("content").GetString());
            Assert.Equal("Ann", data.GetProperty("displayName").GetString());
            Assert.Equal("message", data.GetProperty("messageType").GetString());
            Assert.True(data.TryGetProperty("timeSent", out _));
        }

        await ben.DisposeAsync();
        var after = (await ann.AttendanceAsync(1)).GetProperty("data");
        Assert.Equal("Ann", after.GetProperty("viewers")[0].GetProperty("displayName").GetString());
        var rows = await anonymous.OkAsync(HttpMethod.Get, $"/connections/{Church}/{conversationId}");
        Assert.Single(rows.EnumerateArray());
    }

    [Fact]
    public async Task Leaving_over_rest_and_renaming_update_attendance()
    {
        var conversationId = await _host.CreateConversationAsync(allowAnonymousPosts: false);
        var anonymous = new MessagingClient(_node);
        await using var ann = await _node.ConnectAsync();
        await using var ben = await _node.ConnectAsync();
        var annSocket = await ann.GetIdAsync();
        var benSocket = await ben.GetIdAsync();
        await anonymous.JoinAsync(Church, conversationId, annSocket, "Ann");
        await anonymous.JoinAsync(Church, conversationId, benSocket, "Ben");
        await ann.AttendanceAsync(2);

        await anonymous.PostAsync("/connections/setName", new { socketId = benSocket, name = "Benjamin" });
        await ann.NextActionAsync("attendance", d => d.GetProperty("viewers").EnumerateArray().Any(v => v.GetProperty("displayName").GetString() == "Benjamin"));

        var left = await anonymous.OkAsync(HttpMethod.Delete, $"/connections/{Church}/{conversationId}/{benSocket}");
        Assert.True(left.GetProperty("success").GetBoolean());
        await ann.AttendanceAsync(1);
    }

    [Fact]
    public async Task Signed_in_posts_take_identity_from_the_token_history_is_ordered_and_only_the_owner_deletes()
    {
        var conversationId = await _host.CreateConversationAsync(allowAnonymousPosts: false);
        var member = new MessagingClient(_node, TestTokens.For("member-user", Church, "member-person", "Mary Member"));
        await using var watcher = await _node.ConnectAsync();
        await new MessagingClient(_node).JoinAsync(Church, conversationId, await watcher.GetIdAsync(), "Watcher");

        var first = await member.PostAsync("/messages", new[] { new { conversationId, content = "one", churchId = "forged", personId = "forged" } });
        var data = first[0];
        Assert.Equal(Church, data.GetProperty("churchId").GetString());
        Assert.Equal("member-person", data.GetProperty("personId").GetString());
        Assert.Equal("Mary Member", data.GetProperty("displayName").GetString());
        await member.PostAsync("/messages", new[] { new { conversationId, content = "two" } });
        await member.PostAsync("/messages", new[] { new { conversationId, content = "three" } });

        var catchup = await new MessagingClient(_node).OkAsync(HttpMethod.Get, $"/messages/catchup/{Church}/{conversationId}");
        Assert.Equal(["one", "two", "three"], catchup.EnumerateArray().Select(m => m.GetProperty("content").GetString()!).ToArray());
        var history = await member.OkAsync(HttpMethod.Get, $"/messages/conversation/{conversationId}");
        Assert.Equal(3, history.GetArrayLength());
        var (noTokenStatus, _) = await new MessagingClient(_node).SendAsync(HttpMethod.Get, $"/messages/conversation/{conversationId}");
        Assert.Equal(HttpStatusCode.Unauthorized, noTokenStatus);

        var messageId = data.GetProperty("id").GetString()!;
        var (status, error) = await _host.SendAsync(HttpMethod.Delete, $"/messages/{messageId}");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("not_owner", error.GetProperty("error").GetString());

        await member.OkAsync(HttpMethod.Delete, $"/messages/{messageId}");
        var deleted = await watcher.NextActionAsync("deleteMessage");
        Assert.Equal(messageId, deleted.GetProperty("data").GetProperty("id").GetString());
        var remaining = await member.OkAsync(HttpMethod.Get, $"/messages/conversation/{conversationId}");
        Assert.Equal(["two", "three"], remaining.EnumerateArray().Select(m => m.GetProperty("content").GetString()!).ToArray());
    }

    [Fact]
    public async Task Reactions_toggle_and_callouts_reach_the_room()
    {
        var conversationId = await _host.CreateConversationAsync(allowAnonymousPosts: false);
        await using var watcher = await _node.ConnectAsync();
        await new MessagingClient(_node).JoinAsync(Church, conversationId, await watcher.GetIdAsync(), "Watcher");
        var message = await _host.PostAsync("/messages", new[] { new { conversationId, content = "amen" } });
        var messageId = message[0].GetProperty("id").GetString()!;

        var added = await _host.PostAsync($"/messages/{messageId}/reactions", new { emoji = "🙏" });
        Assert.True(added.GetProperty("added").GetBoolean());
        var reaction = (await watcher.NextActionAsync("reaction")).GetProperty("data");
        Assert.Equal(messageId, reaction.GetProperty("messageId").GetString());
        Assert.Equal(conversationId, reaction.GetProperty("conversationId").GetString());
        Assert.Equal("host-person", reaction.GetProperty("personId").GetString());
        Assert.Equal("🙏", reaction.GetProperty("emoji").GetString());
        Assert.True(reaction.GetProperty("added").GetBoolean());
        var removed = await _host.PostAsync($"/messages/{messageId}/reactions", new { emoji = "🙏" });
        Assert.False(removed.GetProperty("added").GetBoolean());
        Assert.False((await watcher.NextActionAsync("reaction")).GetProperty("data").GetProperty("added").GetBoolean());

        await _host.PostAsync($"/conversations/{conversationId}/callout", new { content = "Welcome!" });
        Assert.Equal("Welcome!", (await watcher.NextActionAsync("callout")).GetProperty("data").GetProperty("content").GetString());
    }

    [Fact]
    public async Task An_authenticated_socket_gets_room_payloads_reliably_with_event_ids_and_resends()
    {
        var conversationId = await _host.CreateConversationAsync(allowAnonymousPosts: true);
        await using var member = await _node.ConnectAsync();
        var ok = await member.AuthAsync(TestTokens.For("reliable-user", Church, "reliable-person", "Rita"));
        var socketId = ok.GetProperty("socket_id").GetString()!;
        Assert.Equal(socketId, await member.GetIdAsync());
        await new MessagingClient(_node).JoinAsync(Church, conversationId, socketId, "Rita");
        var attendance = await member.AttendanceAsync(1);
        await member.AckAsync(attendance.GetProperty("event_id").GetString()!);

        await new MessagingClient(_node).PostAsync("/messages/send", new[] { new { churchId = Church, conversationId, displayName = "Guest", content = "hi" } });
        var first = await member.NextActionAsync("message");
        var eventId = first.GetProperty("event_id").GetString()!;
        var resent = await member.NextActionAsync("message");
        Assert.Equal(eventId, resent.GetProperty("event_id").GetString());
        Assert.Equal(first.GetRawText(), resent.GetRawText());
        await member.AckAsync(eventId);
        // After the ack, re-sends already on their way may still arrive (each identical, and taken here: an untaken one
        // kept the quiet check failing); then no more copies.
        await Eventually.TrueAsync(async () =>
        {
            if (await member.NothingWithinAsync(TimeSpan.FromMilliseconds(800)))
            {
                return true;
            }
            Assert.Equal(first.GetRawText(), (await member.NextAsync()).GetRawText());
            return false;
        }, because: "re-sends stop after the ack");
    }

    [Fact]
    public async Task A_row_whose_socket_cannot_be_reached_is_removed_and_attendance_corrects_itself()
    {
        var conversationId = await _host.CreateConversationAsync(allowAnonymousPosts: true);
        var anonymous = new MessagingClient(_node);
        await using var live = await _node.ConnectAsync();
        var liveSocket = await live.GetIdAsync();
        await anonymous.JoinAsync(Church, conversationId, liveSocket, "Live");
        await live.AttendanceAsync(1);

        await using var doomed = await _node.ConnectAsync();
        var doomedSocket = await doomed.GetIdAsync();
        await anonymous.JoinAsync(Church, conversationId, doomedSocket, "Doomed");
        await live.AttendanceAsync(2);
        doomed.Abort(); // the tab vanished without a close handshake
        await live.AttendanceAsync(1);

        // A row naming a socket no node has is refused outright (a socket id must be a live socket's).
        var (ghostStatus, ghostError) = await anonymous.SendAsync(HttpMethod.Post, "/connections",
            new[] { new { churchId = Church, conversationId, socketId = "00000000000000000000000000000000", displayName = "Ghost" } });
        Assert.Equal(HttpStatusCode.NotFound, ghostStatus);
        Assert.Equal("unknown_socket", ghostError.GetProperty("error").GetString());
        var rows = await anonymous.OkAsync(HttpMethod.Get, $"/connections/{Church}/{conversationId}");
        Assert.Equal(["Live"], rows.EnumerateArray().Select(r => r.GetProperty("displayName").GetString()!).ToArray());
    }

    [Fact]
    public async Task A_private_message_reaches_every_socket_of_the_recipient_with_counts_and_nobody_else()
    {
        var recipientToken = TestTokens.For("rec-user", Church, "rec-person", "Rec");
        var recipient = new MessagingClient(_node, recipientToken);
        await using var phone = await _node.ConnectAsync();
        await using var laptop = await _node.ConnectAsync();
        await using var bystander = await _node.ConnectAsync();
        await phone.AuthAsync(recipientToken);
        await laptop.AuthAsync(recipientToken);
        var bystanderToken = TestTokens.For("by-user", Church, "by-person", "By");
        await bystander.AuthAsync(bystanderToken);
        // The phone joins its alerts room over REST with a token; the laptop anonymously (its socket proved who it is).
        await recipient.JoinAsync(Church, "alerts", await phone.GetIdAsync(), "Rec", "rec-person");
        await new MessagingClient(_node).JoinAsync(Church, "alerts", await laptop.GetIdAsync(), "Rec", "rec-person");
        await new MessagingClient(_node, bystanderToken).JoinAsync(Church, "alerts", await bystander.GetIdAsync(), "By", "by-person");

        var sender = new MessagingClient(_node, TestTokens.For("send-user", Church, "send-person", "Sender"));
        await sender.PostAsync("/privateMessages", new { toPersonId = "rec-person", content = "psst" });
        foreach (var socket in new[] { phone, laptop })
        {
            var frame = await socket.NextActionAsync("privateMessage");
            Assert.Equal("alerts", frame.GetProperty("conversationId").GetString());
            var data = frame.GetProperty("data");
            Assert.Equal(1, data.GetProperty("counts").GetProperty("pmCount").GetInt32());
            Assert.Equal(0, data.GetProperty("counts").GetProperty("notificationCount").GetInt32());
            Assert.Equal("psst", data.GetProperty("privateMessage").GetProperty("content").GetString());
            Assert.Equal("send-person", data.GetProperty("privateMessage").GetProperty("fromPersonId").GetString());
            await socket.AckAsync(frame.GetProperty("event_id").GetString()!);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/notifications") { Content = System.Net.Http.Json.JsonContent.Create(new { churchId = Church, personId = "rec-person" }) })
        {
            request.Headers.Add("X-Api-Key", TestTokens.ApiKey);
            using var response = await _node.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var notification = await phone.NextActionAsync("notification");
        Assert.Equal(1, notification.GetProperty("data").GetProperty("counts").GetProperty("notificationCount").GetInt32());
        var counts = await recipient.OkAsync(HttpMethod.Get, "/notifications/unreadCount");
        Assert.Equal(1, counts.GetProperty("notificationCount").GetInt32());
        Assert.Equal(1, counts.GetProperty("pmCount").GetInt32());

        // The bystander is in the same church's alerts room but hears nothing: alerts go to one person, and
        // alerts rooms broadcast no attendance (who is online is nobody else's business).
        Assert.True(await bystander.NothingWithinAsync(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task Alerts_rooms_are_private()
    {
        await using var socket = await _node.ConnectAsync();
        var socketId = await socket.GetIdAsync();
        var (anonymousStatus, anonymousError) = await new MessagingClient(_node).SendAsync(HttpMethod.Post, "/connections",
            new[] { new { churchId = Church, conversationId = "alerts", socketId, displayName = "x", personId = "rec-person" } });
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousStatus);
        Assert.Equal("alerts_need_auth", anonymousError.GetProperty("error").GetString());

        var (otherStatus, _) = await new MessagingClient(_node, TestTokens.For("m", Church, "mallory", "M")).SendAsync(HttpMethod.Post, "/connections",
            new[] { new { churchId = Church, conversationId = "alerts", socketId, displayName = "x", personId = "rec-person" } });
        Assert.Equal(HttpStatusCode.Forbidden, otherStatus);
        var (otherChurch, _) = await new MessagingClient(_node, TestTokens.For("m", "church-b", "rec-person", "M")).SendAsync(HttpMethod.Post, "/connections",
            new[] { new { churchId = Church, conversationId = "alerts", socketId, displayName = "x" } });
        Assert.Equal(HttpStatusCode.Forbidden, otherChurch);
    }

    [Fact]
    public async Task Rooms_of_different_churches_never_share_payloads()
    {
        var otherHost = new MessagingClient(_node, TestTokens.For("other-host", "church-b", "other-person", "Other"));
        var conversationA = await _host.CreateConversationAsync(allowAnonymousPosts: true);
        await using var inA = await _node.ConnectAsync();
        await using var inB = await _node.ConnectAsync();
        var anonymous = new MessagingClient(_node);
        // Same conversation id, two churches: two different rooms.
        await anonymous.JoinAsync(Church, conversationA, await inA.GetIdAsync(), "A");
        await anonymous.JoinAsync("church-b", conversationA, await inB.GetIdAsync(), "B");
        await inA.AttendanceAsync(1);
        await inB.AttendanceAsync(1);

        await anonymous.PostAsync("/messages/send", new[] { new { churchId = Church, conversationId = conversationA, displayName = "x", content = "for A" } });
        await inA.NextActionAsync("message");
        Assert.True(await inB.NothingWithinAsync(TimeSpan.FromMilliseconds(300)));
        // And church B cannot post into church A's conversation by naming it.
        var (status, _) = await otherHost.SendAsync(HttpMethod.Post, "/messages", new[] { new { conversationId = conversationA, content = "sneaky" } });
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    public static TheoryData<string, string, object?, HttpStatusCode, string> BadRequests() => new()
    {
        { "/messages/send", "anon", new[] { new { churchId = Church, conversationId = "nope", displayName = "x", content = "hi" } }, HttpStatusCode.Unauthorized, "anonymous_not_allowed" },
        { "/messages", "member", new[] { new { conversationId = "nope", content = "hi" } }, HttpStatusCode.NotFound, "unknown_conversation" },
        { "/messages", "anon", new[] { new { conversationId = "nope", content = "hi" } }, HttpStatusCode.Unauthorized, "token_required" },
        { "/connections", "anon", new[] { new { churchId = Church, displayName = "x" } }, HttpStatusCode.BadRequest, "missing_field" },
        { "/connections", "anon", Array.Empty<object>(), HttpStatusCode.BadRequest, "empty_body" },
        { "/connections", "anon", "{not json", HttpStatusCode.BadRequest, "bad_json" },
        { "/conversations", "member", new[] { new { title = "no content type" } }, HttpStatusCode.BadRequest, "missing_field" },
        { "/messages/send", "anon", new[] { new { churchId = Church, conversationId = "c", displayName = "x", content = new string('x', 5000) } }, HttpStatusCode.BadRequest, "too_long" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_requests_get_clear_errors(string path, string who, object? body, HttpStatusCode expected, string code)
    {
        var client = who == "anon" ? new MessagingClient(_node) : new MessagingClient(_node, TestTokens.For("m", Church, "m", "M"));
        var (status, error) = await client.SendAsync(HttpMethod.Post, path, body);
        Assert.Equal(expected, status);
        Assert.Equal(code, error.GetProperty("error").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task A_failed_item_saves_nothing_of_its_request()
    {
        var conversationId = await _host.CreateConversationAsync(allowAnonymousPosts: true);
        var (status, _) = await new MessagingClient(_node).SendAsync(HttpMethod.Post, "/messages/send", new[]
        {
            new { churchId = Church, conversationId, displayName = "x", content = "valid" },
            new { churchId = Church, conversationId, displayName = "x", content = "" },
        });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var history = await new MessagingClient(_node).OkAsync(HttpMethod.Get, $"/messages/catchup/{Church}/{conversationId}");
        Assert.Equal(0, history.GetArrayLength());
    }
}

public sealed class RoomTestsOnSqlite : RoomTests
{
    protected override StoreKind Store => StoreKind.Sqlite;
}

public sealed class RoomTestsOnPostgres : RoomTests
{
    protected override StoreKind Store => StoreKind.Postgres;
}

/// <summary>The room suite on two silos of one Orleans cluster: room grains may run on the other silo.</summary>
public sealed class RoomTestsOnPostgresCluster : RoomTests
{
    protected override StoreKind Store => StoreKind.PostgresCluster;
}
