using Microsoft.Extensions.Logging;
using OrleansSync.Cluster;
using OrleansSync.Delivery;
using OrleansSync.Diagnostics;
using OrleansSync.Protocol;

namespace OrleansSync.Conversations;

/// <summary>
/// One room <c>(churchId, conversationId)</c> on this node: fan-out of every payload to its connection rows.
/// The rows live in the store and are read for each broadcast, so any node can fan out for any room (and a
/// room needs no single owner across the cluster). A socket that authenticated gets payloads through its
/// session's reliable queue (event_id, acks, re-sends, replay) wherever it is; an anonymous socket gets them
/// best-effort (directly here, or through its node's outbox), and a failed send removes its rows and
/// re-broadcasts attendance, as ChurchApps does. Changes made through this grain run in its turns, so one
/// node's posts to a room are saved and sent in order.
/// </summary>
public sealed partial class ConversationGrain(IConversationStore store, ISocketDirectory sockets, IRoomOutbox outbox,
    SessionRouter router, IClusterSignals signals, SyncMetrics metrics, ILogger<ConversationGrain> logger) : Grain, IConversationGrain
{
    private RoomKey _room;

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _room = RoomKey.FromGrainKey(this.GetPrimaryKeyString());
        metrics.GrainActivated(GrainKinds.Conversation);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        metrics.GrainDeactivated(GrainKinds.Conversation);
        return Task.CompletedTask;
    }

    /// <summary>Adds connection rows, then tells the room who is watching.</summary>
    public async Task<IReadOnlyList<RoomConnection>> JoinAsync(IReadOnlyList<RoomConnection> rows)
    {
        await store.SaveConnectionsAsync(rows);
        await BroadcastAttendanceAsync();
        return rows;
    }

    /// <summary>Removes a socket's rows; attendance follows if it had any.</summary>
    public async Task<bool> LeaveAsync(string socketId)
    {
        if (await store.DeleteConnectionsAsync(_room.ChurchId, _room.ConversationId, socketId) == 0)
        {
            return false;
        }
        await BroadcastAttendanceAsync();
        return true;
    }

    /// <summary>Renames a socket's rows (<c>setName</c>); attendance follows.</summary>
    public async Task<bool> RenameAsync(string socketId, string displayName)
    {
        if (await store.RenameConnectionsAsync(_room.ChurchId, _room.ConversationId, socketId, displayName) == 0)
        {
            return false;
        }
        await BroadcastAttendanceAsync();
        return true;
    }

    /// <summary>Re-sends attendance (after a dead node's rows were removed).</summary>
    public Task<int> RefreshAttendanceAsync() => BroadcastAttendanceAsync();

    /// <summary>Connection rows, as stored.</summary>
    public async Task<IReadOnlyList<RoomConnection>> ListConnectionsAsync() =>
        await store.LoadConnectionsAsync(_room.ChurchId, _room.ConversationId);

    /// <summary>Saves messages (all or none) and sends each to the room as <c>message</c>.</summary>
    public async Task<IReadOnlyList<ChatMessage>> PostAsync(IReadOnlyList<ChatMessage> messages)
    {
        await store.SaveMessagesAsync(messages);
        foreach (var message in messages)
        {
            await BroadcastAsync(RoomActions.Message, message, ChurchAppsJson.Default.ChatMessage);
        }
        return messages;
    }

    /// <summary>Deletes a message and sends <c>deleteMessage</c>.</summary>
    public async Task<bool> DeleteMessageAsync(string messageId)
    {
        await store.DeleteMessageAsync(messageId);
        await BroadcastAsync(RoomActions.DeleteMessage, new DeletedMessage(messageId), ChurchAppsJson.Default.DeletedMessage);
        return true;
    }

    /// <summary>Toggles a reaction and sends <c>reaction</c>; returns whether it was added.</summary>
    public async Task<Reaction> ToggleReactionAsync(string messageId, string personId, string emoji)
    {
        var added = await store.ToggleReactionAsync(messageId, personId, emoji);
        var reaction = new Reaction(messageId, _room.ConversationId, personId, emoji, added);
        await BroadcastAsync(RoomActions.Reaction, reaction, ChurchAppsJson.Default.Reaction);
        return reaction;
    }

    /// <summary>Sends a <c>callout</c> (a highlighted message, e.g. by a live-stream host) to the room.</summary>
    public async Task<ChatMessage> CalloutAsync(ChatMessage callout)
    {
        await BroadcastAsync(RoomActions.Callout, callout, ChurchAppsJson.Default.ChatMessage);
        return callout;
    }

    /// <summary>
    /// Alerts room only: adds to the person's unread counters and sends <paramref name="action"/> with the new
    /// counts to that person's rows only.
    /// </summary>
    public async Task<NotificationCounts> AlertPersonAsync(string personId, string action, int notifications, PrivateMessage? privateMessage)
    {
        if (privateMessage is not null)
        {
            await store.SavePrivateMessageAsync(privateMessage);
        }
        var counts = await store.AddToCountsAsync(_room.ChurchId, personId, notifications, privateMessage is null ? 0 : 1);
        await BroadcastAsync(action, new AlertData(counts, privateMessage), ChurchAppsJson.Default.AlertData, personId);
        return counts;
    }

    private async Task<int> BroadcastAttendanceAsync()
    {
        if (_room.IsAlerts)
        {
            return 0; // private: nobody hears who else has an alerts connection
        }
        var rows = await store.LoadConnectionsAsync(_room.ChurchId, _room.ConversationId);
        var viewers = new Viewer[rows.Count];
        for (var i = 0; i < viewers.Length; i++)
        {
            viewers[i] = new Viewer(rows[i].Id, rows[i].DisplayName);
        }
        return await FanOutAsync(rows, RoomActions.Attendance, new Attendance(_room.ConversationId, viewers, viewers.Length), ChurchAppsJson.Default.Attendance, null)
            ;
    }

    private async ValueTask<int> BroadcastAsync<T>(string action, T data, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> dataType,
        string? personId = null)
    {
        var rows = await store.LoadConnectionsAsync(_room.ChurchId, _room.ConversationId);
        return await FanOutAsync(rows, action, data, dataType, personId);
    }

    /// <summary>
    /// Sends one payload to every socket of the rows (once per socket, however many rows it has), or only to
    /// <paramref name="personId"/>'s sockets. Returns the number of sockets it was handed to.
    /// </summary>
    private async ValueTask<int> FanOutAsync<T>(IReadOnlyList<RoomConnection> rows, string action, T data,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> dataType, string? personId)
    {
        var eventId = Ids.NewEventId();
        var (anonymousFrame, reliableFrame) = RoomPayloads.Build(_room.ChurchId, _room.ConversationId, action, data, dataType, eventId);
        var reached = new HashSet<string>(StringComparer.Ordinal);
        List<(string NodeId, string SocketId)>? remote = null;
        List<string>? lost = null;
        List<Task<bool>>? reliable = null;
        foreach (var row in rows)
        {
            if ((personId is not null && row.PersonId != personId) || !reached.Add(row.SocketId))
            {
                continue;
            }
            if (row.SessionId is { } sessionId)
            {
                // Started, not awaited: every session gets it in this turn's order while the commits overlap.
                (reliable ??= []).Add(router.RouteAsync(sessionId, row.NodeId, inboxWaiting: false, eventId, reliableFrame));
            }
            else if (row.NodeId != router.NodeId)
            {
                (remote ??= []).Add((row.NodeId, row.SocketId));
            }
            else if (!sockets.TryGetSocket(row.SocketId, out var socket, out _) || !socket.TrySend(anonymousFrame))
            {
                (lost ??= []).Add(row.SocketId);
            }
        }
        if (remote is not null)
        {
            // Anonymous sockets held by other nodes: one write for all of them, then one wake-up per node.
            await outbox.AppendOutboxAsync(remote, _room.ChurchId, _room.ConversationId, anonymousFrame);
            foreach (var node in remote.Select(r => r.NodeId).Distinct())
            {
                signals.OutboxChanged(node);
            }
        }
        if (reliable is not null)
        {
            await Task.WhenAll(reliable);
        }
        if (lost is not null)
        {
            await RemoveLostSocketsAsync(lost);
        }
        return reached.Count - (lost?.Count ?? 0);
    }

    /// <summary>Best-effort delivery failed: the sockets' rows go and the room hears the corrected attendance.</summary>
    private async ValueTask RemoveLostSocketsAsync(List<string> lost)
    {
        foreach (var socketId in lost)
        {
            Log.LostSocketRemoved(logger, Ids.LogTag(socketId), _room.ChurchId, _room.ConversationId);
            await store.DeleteConnectionsAsync(_room.ChurchId, _room.ConversationId, socketId);
        }
        await BroadcastAttendanceAsync();
    }
}
