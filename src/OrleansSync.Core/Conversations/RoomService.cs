using Microsoft.Extensions.Options;
using OrleansSync.Cluster;
using OrleansSync.Delivery;
using OrleansSync.Protocol;

namespace OrleansSync.Conversations;

/// <summary>
/// The room API behind the ChurchApps REST routes: validates input (all items before saving any), applies
/// the policies (anonymous posting, ownership, alerts privacy), and routes each change to its room's grain.
/// </summary>
public sealed class RoomService(IGrainFactory grains, IConversationStore store, ISocketDirectory sockets, ISocketLocations locations,
    TimeProvider time, IOptions<RoomLimits> options)
{
    /// <summary>Display name of anonymous viewers and posters, as ChurchApps shows them.</summary>
    public const string AnonymousName = "Anonymous";

    private RoomLimits Limits => options.Value;

    /// <summary>
    /// Adds connection rows. Alerts rooms are private: a row of <c>(churchId, "alerts")</c> is accepted only for the
    /// caller's own person and church, proven by a Bearer token or by the socket's own <c>auth</c>; otherwise 401/403.
    /// </summary>
    public async Task<IReadOnlyList<RoomConnection>> JoinAsync(IReadOnlyList<JoinRequest>? items, RoomCaller? caller)
    {
        var rows = new List<RoomConnection>();
        foreach (var item in Items(items))
        {
            var room = new RoomKey(Id(item.ChurchId, "churchId"), Id(item.ConversationId, "conversationId"));
            var socketId = Id(item.SocketId, "socketId");
            var socket = await LocateAsync(socketId).ConfigureAwait(false) ?? throw UnknownSocket();
            var personId = caller?.PersonId ?? Optional(item.PersonId, "personId");
            if (room.IsAlerts)
            {
                var identity = caller ?? socket.Identity
                    ?? throw new RoomException(RoomErrorKind.Unauthorized, "alerts_need_auth",
                        "joining an alerts room needs a Bearer token or a socket authenticated as that person");
                if (identity.ChurchId != room.ChurchId || (item.PersonId is { Length: > 0 } asked && asked != identity.PersonId))
                {
                    throw new RoomException(RoomErrorKind.Forbidden, "not_your_alerts", "a person may only join their own alerts room");
                }
                personId = identity.PersonId;
            }
            var name = Optional(item.DisplayName, "displayName") ?? caller?.DisplayName ?? AnonymousName;
            rows.Add(new RoomConnection(Ids.NewEventId(), room.ChurchId, room.ConversationId, personId, name, socketId, time.GetUtcNow(),
                socket.NodeId, socket.SessionId));
        }
        var saved = new List<RoomConnection>(rows.Count);
        foreach (var group in rows.GroupBy(r => new RoomKey(r.ChurchId, r.ConversationId)))
        {
            saved.AddRange(await Room(group.Key).JoinAsync(group.ToList()).ConfigureAwait(false));
        }
        return saved;
    }

    /// <summary>
    /// Where a live socket is: on this node (asked directly), or on another node (asked of the store); null if no
    /// node has it open. A socket id is the only proof of owning a socket, so every route that acts on one by its
    /// id asks this first and acts only for a live socket.
    /// </summary>
    private async Task<SocketLocation?> LocateAsync(string socketId)
    {
        if (sockets.TryGetSocket(socketId, out _, out var sessionId))
        {
            return new SocketLocation(socketId, sockets.NodeId, sessionId, sockets.TryGetIdentity(socketId, out var identity) ? identity : null);
        }
        return await locations.FindSocketAsync(socketId).ConfigureAwait(false);
    }

    private static RoomException UnknownSocket() =>
        new(RoomErrorKind.NotFound, "unknown_socket", "no open socket has this socketId (send getId on the socket to learn its own id)");

    /// <summary>
    /// Removes a live socket's rows from one room; true if it had any. An id that is no live socket changes
    /// nothing and answers the same as a socket that was not in the room: leaving is idempotent (a closed socket
    /// already left every room), and a guesser learns nothing from the answer.
    /// </summary>
    public async Task<bool> LeaveAsync(string churchId, string conversationId, string socketId)
    {
        var room = new RoomKey(Id(churchId, "churchId"), Id(conversationId, "conversationId"));
        var socket = Id(socketId, "socketId");
        if (await LocateAsync(socket).ConfigureAwait(false) is null)
        {
            return false;
        }
        return await Room(room).LeaveAsync(socket).ConfigureAwait(false);
    }

    /// <summary>A closed socket leaves every room it was in (each hears attendance).</summary>
    public async Task LeaveAllAsync(string socketId)
    {
        foreach (var room in await store.LoadRoomsOfSocketAsync(socketId).ConfigureAwait(false))
        {
            await Room(room).LeaveAsync(socketId).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The room's connection rows as anyone may see them: without socket ids (the route is anonymous, so it
    /// cannot tell a row's owner from a stranger, and a socket id is what setName and leave act on). An alerts
    /// room lists only the caller's own rows, and only to a Bearer caller of that church: who else is online to
    /// receive private messages is nobody's business.
    /// </summary>
    public async Task<IReadOnlyList<RoomConnection>> ListConnectionsAsync(string churchId, string conversationId, RoomCaller? caller)
    {
        var room = new RoomKey(Id(churchId, "churchId"), Id(conversationId, "conversationId"));
        if (room.IsAlerts)
        {
            if (caller is null)
            {
                throw new RoomException(RoomErrorKind.Unauthorized, "alerts_need_auth", "listing an alerts room needs a Bearer token");
            }
            if (caller.ChurchId != room.ChurchId)
            {
                throw new RoomException(RoomErrorKind.Forbidden, "not_your_alerts", "a person may only list their own church's alerts rows");
            }
        }
        var rows = await Room(room).ListConnectionsAsync().ConfigureAwait(false);
        return rows.Where(r => !room.IsAlerts || r.PersonId == caller!.PersonId).Select(r => r.WithoutSocketId()).ToList();
    }

    /// <summary>Renames a live socket in every room it is in; returns the number of rooms (404 for an id that is no live socket).</summary>
    public async Task<int> SetNameAsync(string? socketId, string? name)
    {
        var socket = Id(socketId, "socketId");
        var displayName = Optional(name, "name") ?? AnonymousName;
        if (await LocateAsync(socket).ConfigureAwait(false) is null)
        {
            throw UnknownSocket();
        }
        var rooms = await store.LoadRoomsOfSocketAsync(socket).ConfigureAwait(false);
        foreach (var room in rooms)
        {
            await Room(room).RenameAsync(socket, displayName).ConfigureAwait(false);
        }
        return rooms.Count;
    }

    /// <summary>Creates conversations in the caller's church.</summary>
    public async Task<IReadOnlyList<Conversation>> CreateConversationsAsync(IReadOnlyList<CreateConversationRequest>? items, RoomCaller caller)
    {
        var church = ChurchOf(caller);
        var conversations = Items(items).Select(item => new Conversation(Ids.NewEventId(), church,
            Required(item.ContentType, "contentType"), Required(item.ContentId, "contentId"), Optional(item.Title, "title") ?? "",
            item.AllowAnonymousPosts ?? false, time.GetUtcNow())).ToList();
        await store.SaveConversationsAsync(conversations).ConfigureAwait(false);
        return conversations;
    }

    /// <summary>Anonymous posts: each target conversation must exist and allow anonymous posts (else 401).</summary>
    public async Task<IReadOnlyList<ChatMessage>> SendAnonymousAsync(IReadOnlyList<PostMessageRequest>? items)
    {
        var messages = new List<ChatMessage>();
        foreach (var item in Items(items))
        {
            var room = new RoomKey(Id(item.ChurchId, "churchId"), Id(item.ConversationId, "conversationId"));
            var content = Content(item.Content);
            var displayName = Optional(item.DisplayName, "displayName") ?? AnonymousName;
            var conversation = await store.LoadConversationAsync(room.ChurchId, room.ConversationId).ConfigureAwait(false);
            if (conversation is not { AllowAnonymousPosts: true })
            {
                throw new RoomException(RoomErrorKind.Unauthorized, "anonymous_not_allowed",
                    $"conversation {room.ConversationId} does not exist or does not allow anonymous posts");
            }
            messages.Add(new ChatMessage(Ids.NewEventId(), room.ChurchId, room.ConversationId, null, displayName, time.GetUtcNow(), "message", content, null));
        }
        return await PostToRoomsAsync(messages).ConfigureAwait(false);
    }

    /// <summary>Signed-in posts: church, person and name come from the token; an item with an <c>id</c> edits the caller's message.</summary>
    public async Task<IReadOnlyList<ChatMessage>> PostAsync(IReadOnlyList<PostMessageRequest>? items, RoomCaller caller)
    {
        var church = ChurchOf(caller);
        var messages = new List<ChatMessage>();
        foreach (var item in Items(items))
        {
            var conversationId = Id(item.ConversationId, "conversationId");
            var content = Content(item.Content);
            var messageType = Optional(item.MessageType, "messageType") ?? "message";
            if (await store.LoadConversationAsync(church, conversationId).ConfigureAwait(false) is null)
            {
                throw new RoomException(RoomErrorKind.NotFound, "unknown_conversation", $"conversation {conversationId} does not exist in church {church}");
            }
            if (item.Id is { Length: > 0 } existingId)
            {
                var existing = await OwnMessageAsync(existingId, caller).ConfigureAwait(false);
                if (existing.ConversationId != conversationId)
                {
                    throw new RoomException(RoomErrorKind.Invalid, "wrong_conversation", "a message cannot move to another conversation");
                }
                messages.Add(existing with { Content = content, DisplayName = caller.DisplayName, TimeUpdated = time.GetUtcNow() });
            }
            else
            {
                messages.Add(new ChatMessage(Ids.NewEventId(), church, conversationId, caller.PersonId, caller.DisplayName, time.GetUtcNow(),
                    messageType, content, null));
            }
        }
        return await PostToRoomsAsync(messages).ConfigureAwait(false);
    }

    /// <summary>Messages of a room, oldest first (the newest <see cref="RoomLimits.HistoryLimit"/>).</summary>
    public Task<IReadOnlyList<ChatMessage>> HistoryAsync(string churchId, string conversationId) =>
        store.LoadMessagesAsync(Id(churchId, "churchId"), Id(conversationId, "conversationId"), Limits.HistoryLimit);

    /// <summary>Deletes the caller's own message (403 for anyone else's).</summary>
    public async Task DeleteMessageAsync(string messageId, RoomCaller caller)
    {
        var message = await OwnMessageAsync(messageId, caller).ConfigureAwait(false);
        await Room(new RoomKey(message.ChurchId, message.ConversationId)).DeleteMessageAsync(message.Id).ConfigureAwait(false);
    }

    /// <summary>Toggles the caller's reaction on a message of their church.</summary>
    public async Task<Reaction> ToggleReactionAsync(string messageId, string? emoji, RoomCaller caller)
    {
        var message = await store.LoadMessageAsync(Id(messageId, "messageId")).ConfigureAwait(false);
        if (message is null || message.ChurchId != caller.ChurchId)
        {
            throw new RoomException(RoomErrorKind.NotFound, "unknown_message", $"message {messageId} does not exist");
        }
        var symbol = Required(emoji, "emoji");
        if (symbol.Length > 32)
        {
            throw new RoomException(RoomErrorKind.Invalid, "too_long", "emoji is longer than 32 characters");
        }
        return await Room(new RoomKey(message.ChurchId, message.ConversationId)).ToggleReactionAsync(message.Id, caller.PersonId, symbol).ConfigureAwait(false);
    }

    /// <summary>Sends a <c>callout</c> to a conversation of the caller's church.</summary>
    public async Task<ChatMessage> CalloutAsync(string conversationId, string? content, RoomCaller caller)
    {
        var church = ChurchOf(caller);
        if (await store.LoadConversationAsync(church, Id(conversationId, "conversationId")).ConfigureAwait(false) is null)
        {
            throw new RoomException(RoomErrorKind.NotFound, "unknown_conversation", $"conversation {conversationId} does not exist");
        }
        var callout = new ChatMessage(Ids.NewEventId(), church, conversationId, caller.PersonId, caller.DisplayName, time.GetUtcNow(), "callout",
            Content(content), null);
        return await Room(new RoomKey(church, conversationId)).CalloutAsync(callout).ConfigureAwait(false);
    }

    /// <summary>A private message to a person of the caller's church: saved, counted, and sent to the recipient's alerts rows.</summary>
    public async Task<PrivateMessage> SendPrivateMessageAsync(PrivateMessageRequest? request, RoomCaller caller)
    {
        var church = ChurchOf(caller);
        if (request is null)
        {
            throw new RoomException(RoomErrorKind.Invalid, "missing_body", "a JSON body {toPersonId, content} is required");
        }
        var message = new PrivateMessage(Ids.NewEventId(), church, caller.PersonId, caller.DisplayName, Id(request.ToPersonId, "toPersonId"),
            Content(request.Content), time.GetUtcNow());
        await AlertAsync(church, message.ToPersonId, RoomActions.PrivateMessage, 0, message).ConfigureAwait(false);
        return message;
    }

    /// <summary>A notification for a person (from an application server): counted and sent to their alerts rows.</summary>
    public Task<NotificationCounts> NotifyAsync(string? churchId, string? personId) =>
        AlertAsync(Id(churchId, "churchId"), Id(personId, "personId"), RoomActions.Notification, 1, null);

    /// <summary>The caller's unread counters.</summary>
    public Task<NotificationCounts> UnreadCountAsync(RoomCaller caller) => store.LoadCountsAsync(caller.ChurchId, caller.PersonId);

    private async Task<NotificationCounts> AlertAsync(string churchId, string personId, string action, int notifications, PrivateMessage? message) =>
        await Room(new RoomKey(churchId, RoomKey.AlertsConversationId)).AlertPersonAsync(personId, action, notifications, message).ConfigureAwait(false);

    private IConversationGrain Room(RoomKey room) => grains.GetGrain<IConversationGrain>(room.GrainKey);

    private async Task<IReadOnlyList<ChatMessage>> PostToRoomsAsync(List<ChatMessage> messages)
    {
        foreach (var group in messages.GroupBy(m => new RoomKey(m.ChurchId, m.ConversationId)))
        {
            await Room(group.Key).PostAsync(group.ToList()).ConfigureAwait(false);
        }
        return messages;
    }

    private async Task<ChatMessage> OwnMessageAsync(string messageId, RoomCaller caller)
    {
        var message = await store.LoadMessageAsync(Id(messageId, "id")).ConfigureAwait(false);
        if (message is null || message.ChurchId != caller.ChurchId)
        {
            throw new RoomException(RoomErrorKind.NotFound, "unknown_message", $"message {messageId} does not exist");
        }
        if (message.PersonId != caller.PersonId)
        {
            throw new RoomException(RoomErrorKind.Forbidden, "not_owner", "only the author may change or delete a message");
        }
        return message;
    }

    private static string ChurchOf(RoomCaller caller) => caller.ChurchId is { Length: > 0 } church
        ? church
        : throw new RoomException(RoomErrorKind.Forbidden, "no_church", "the token has no churchId claim");

    private IReadOnlyList<T> Items<T>(IReadOnlyList<T?>? items) where T : class
    {
        if (items is null || items.Count == 0)
        {
            throw new RoomException(RoomErrorKind.Invalid, "empty_body", "the body must be a non-empty JSON array");
        }
        if (items.Count > Limits.MaxItemsPerRequest)
        {
            throw new RoomException(RoomErrorKind.Invalid, "too_many_items", $"at most {Limits.MaxItemsPerRequest} items per request");
        }
        return items.Select(i => i ?? throw new RoomException(RoomErrorKind.Invalid, "null_item", "array items must be objects")).ToList();
    }

    /// <summary>An id-like field: required, bounded, and free of the grain-key separator.</summary>
    private string Id(string? value, string field)
    {
        var id = Required(value, field);
        if (id.Contains('\n') || id.Contains('/'))
        {
            throw new RoomException(RoomErrorKind.Invalid, "bad_id", $"{field} contains a forbidden character");
        }
        return id;
    }

    private string Required(string? value, string field) => Optional(value, field)
        ?? throw new RoomException(RoomErrorKind.Invalid, "missing_field", $"{field} is required");

    private string? Optional(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        if (value.Length > Limits.MaxNameLength)
        {
            throw new RoomException(RoomErrorKind.Invalid, "too_long", $"{field} is longer than {Limits.MaxNameLength} characters");
        }
        return value.Trim();
    }

    private string Content(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new RoomException(RoomErrorKind.Invalid, "missing_field", "content is required");
        }
        if (value.Length > Limits.MaxContentLength)
        {
            throw new RoomException(RoomErrorKind.Invalid, "too_long", $"content is longer than {Limits.MaxContentLength} characters");
        }
        return value;
    }
}
