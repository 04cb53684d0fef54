using Microsoft.Extensions.Logging;
using OrleansSync.Delivery;
using OrleansSync.Runtime;

namespace OrleansSync.Conversations;

/// <summary>
/// One room <c>(churchId, conversationId)</c>: its connection rows (presence), and fan-out of every payload
/// to them. A socket that authenticated gets payloads through its session's reliable queue (event_id, acks,
/// re-sends); an anonymous socket gets them best-effort, and a failed send removes its rows and
/// re-broadcasts attendance, as ChurchApps does. Messages are saved here, in turn order, so every member
/// sees them in the order they were saved.
/// </summary>
public sealed partial class ConversationGrain(IConversationStore store, ISocketDirectory sockets,
    Lazy<GrainDirectory<SessionGrain>> sessions, ILogger<ConversationGrain> logger) : Grain
{
    private readonly List<RoomConnection> _connections = [];
    private RoomKey _room;

    /// <summary>Number of connection rows (viewers).</summary>
    public int ViewerCount => _connections.Count;

    /// <inheritdoc />
    protected internal override async ValueTask OnActivateAsync(CancellationToken cancellationToken)
    {
        _room = RoomKey.FromGrainKey(Key);
        _connections.AddRange(await store.LoadConnectionsAsync(_room.ChurchId, _room.ConversationId, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Adds connection rows, then tells the room who is watching.</summary>
    public async ValueTask<IReadOnlyList<RoomConnection>> JoinAsync(IReadOnlyList<RoomConnection> rows)
    {
        await store.SaveConnectionsAsync(rows, sockets.NodeId).ConfigureAwait(false);
        _connections.AddRange(rows);
        await BroadcastAttendanceAsync().ConfigureAwait(false);
        return rows;
    }

    /// <summary>Removes a socket's rows; attendance follows if it had any.</summary>
    public async ValueTask<bool> LeaveAsync(string socketId)
    {
        if (_connections.RemoveAll(c => c.SocketId == socketId) == 0)
        {
            return false;
        }
        await store.DeleteConnectionsAsync(_room.ChurchId, _room.ConversationId, socketId).ConfigureAwait(false);
        await BroadcastAttendanceAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>Renames a socket's rows (<c>setName</c>); attendance follows.</summary>
    public async ValueTask<bool> RenameAsync(string socketId, string displayName)
    {
        var changed = false;
        for (var i = 0; i < _connections.Count; i++)
        {
            if (_connections[i].SocketId == socketId)
            {
                _connections[i] = _connections[i] with { DisplayName = displayName };
                changed = true;
            }
        }
        if (changed)
        {
            await store.RenameConnectionsAsync(_room.ChurchId, _room.ConversationId, socketId, displayName).ConfigureAwait(false);
            await BroadcastAttendanceAsync().ConfigureAwait(false);
        }
        return changed;
    }

    /// <summary>Connection rows, as stored.</summary>
    public ValueTask<IReadOnlyList<RoomConnection>> ListConnectionsAsync() =>
        ValueTask.FromResult<IReadOnlyList<RoomConnection>>(_connections.ToArray());

    /// <summary>Saves messages (all or none) and sends each to the room as <c>message</c>.</summary>
    public async ValueTask<IReadOnlyList<ChatMessage>> PostAsync(IReadOnlyList<ChatMessage> messages)
    {
        await store.SaveMessagesAsync(messages).ConfigureAwait(false);
        foreach (var message in messages)
        {
            await BroadcastAsync("message", message, ChurchAppsJson.Default.ChatMessage).ConfigureAwait(false);
        }
        return messages;
    }

    /// <summary>Deletes a message and sends <c>deleteMessage</c>.</summary>
    public async ValueTask<bool> DeleteMessageAsync(string messageId)
    {
        await store.DeleteMessageAsync(messageId).ConfigureAwait(false);
        await BroadcastAsync("deleteMessage", new DeletedMessage(messageId), ChurchAppsJson.Default.DeletedMessage).ConfigureAwait(false);
        return true;
    }

    /// <summary>Toggles a reaction and sends <c>reaction</c>; returns whether it was added.</summary>
    public async ValueTask<Reaction> ToggleReactionAsync(string messageId, string personId, string emoji)
    {
        var added = await store.ToggleReactionAsync(messageId, personId, emoji).ConfigureAwait(false);
        var reaction = new Reaction(messageId, _room.ConversationId, personId, emoji, added);
        await BroadcastAsync("reaction", reaction, ChurchAppsJson.Default.Reaction).ConfigureAwait(false);
        return reaction;
    }

    /// <summary>Sends a <c>callout</c> (a highlighted message, e.g. by a live-stream host) to the room.</summary>
    public async ValueTask<ChatMessage> CalloutAsync(ChatMessage callout)
    {
        await BroadcastAsync("callout", callout, ChurchAppsJson.Default.ChatMessage).ConfigureAwait(false);
        return callout;
    }

    /// <summary>
    /// Alerts room only: adds to the person's unread counters and sends <paramref name="action"/> with the new
    /// counts to that person's rows only. Counting in this turn keeps the counts each payload carries in order.
    /// </summary>
    public async ValueTask<NotificationCounts> AlertPersonAsync(string personId, string action, int notifications, PrivateMessage? privateMessage)
    {
        if (privateMessage is not null)
        {
            await store.SavePrivateMessageAsync(privateMessage).ConfigureAwait(false);
        }
        var counts = await store.AddToCountsAsync(_room.ChurchId, personId, notifications, privateMessage is null ? 0 : 1).ConfigureAwait(false);
        await BroadcastAsync(action, new AlertData(counts, privateMessage), ChurchAppsJson.Default.AlertData, personId).ConfigureAwait(false);
        return counts;
    }

    private ValueTask<int> BroadcastAttendanceAsync()
    {
        if (_room.IsAlerts)
        {
            return ValueTask.FromResult(0); // private: nobody hears who else has an alerts connection
        }
        var viewers = new Viewer[_connections.Count];
        for (var i = 0; i < viewers.Length; i++)
        {
            viewers[i] = new Viewer(_connections[i].Id, _connections[i].DisplayName);
        }
        return BroadcastAsync("attendance", new Attendance(_room.ConversationId, viewers, viewers.Length), ChurchAppsJson.Default.Attendance);
    }

    /// <summary>
    /// Sends one payload to every socket of the room (once per socket, however many rows it has), or only to
    /// <paramref name="personId"/>'s sockets. Returns the number of sockets reached.
    /// </summary>
    private async ValueTask<int> BroadcastAsync<T>(string action, T data, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> dataType,
        string? personId = null)
    {
        var eventId = Ids.NewEventId();
        var (anonymousFrame, reliableFrame) = RoomPayloads.Build(_room, action, data, dataType, eventId);
        var reached = new HashSet<string>(StringComparer.Ordinal);
        List<string>? lost = null;
        foreach (var row in _connections)
        {
            if ((personId is not null && row.PersonId != personId) || !reached.Add(row.SocketId))
            {
                continue;
            }
            if (!sockets.TryGetSocket(row.SocketId, out var socket, out var sessionId))
            {
                (lost ??= []).Add(row.SocketId);
            }
            else if (sessionId is not null)
            {
                await sessions.Value.CallAsync(sessionId, (eventId, reliableFrame),
                    static (session, e) => session.EnqueueAsync(e.eventId, e.reliableFrame)).ConfigureAwait(false);
            }
            else if (!socket.TrySend(anonymousFrame))
            {
                (lost ??= []).Add(row.SocketId);
            }
        }
        if (lost is not null)
        {
            await RemoveLostSocketsAsync(lost).ConfigureAwait(false);
        }
        return reached.Count - (lost?.Count ?? 0);
    }

    /// <summary>Best-effort delivery failed: the sockets' rows go and the room hears the corrected attendance.</summary>
    private async ValueTask RemoveLostSocketsAsync(List<string> lost)
    {
        foreach (var socketId in lost)
        {
            Log.LostSocketRemoved(logger, socketId, _room.ChurchId, _room.ConversationId);
            _connections.RemoveAll(c => c.SocketId == socketId);
            await store.DeleteConnectionsAsync(_room.ChurchId, _room.ConversationId, socketId).ConfigureAwait(false);
        }
        await BroadcastAttendanceAsync().ConfigureAwait(false);
    }
}
