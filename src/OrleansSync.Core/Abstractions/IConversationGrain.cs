namespace OrleansSync.Conversations;

/// <summary>One room <c>(churchId, conversationId)</c> (key: <see cref="RoomKey.GrainKey"/>): its changes and fan-out, in order.</summary>
public interface IConversationGrain : IGrainWithStringKey
{
    /// <summary>Adds connection rows, then tells the room who is watching.</summary>
    Task<IReadOnlyList<RoomConnection>> JoinAsync(IReadOnlyList<RoomConnection> rows);

    /// <summary>Removes a socket's rows; attendance follows if it had any.</summary>
    Task<bool> LeaveAsync(string socketId);

    /// <summary>Renames a socket's rows (<c>setName</c>); attendance follows.</summary>
    Task<bool> RenameAsync(string socketId, string displayName);

    /// <summary>Re-sends attendance (after a dead node's rows were removed).</summary>
    Task<int> RefreshAttendanceAsync();

    /// <summary>Connection rows, as stored.</summary>
    Task<IReadOnlyList<RoomConnection>> ListConnectionsAsync();

    /// <summary>Saves messages (all or none) and sends each to the room as <c>message</c>.</summary>
    Task<IReadOnlyList<ChatMessage>> PostAsync(IReadOnlyList<ChatMessage> messages);

    /// <summary>Deletes a message and sends <c>deleteMessage</c>.</summary>
    Task<bool> DeleteMessageAsync(string messageId);

    /// <summary>Toggles a reaction and sends <c>reaction</c>.</summary>
    Task<Reaction> ToggleReactionAsync(string messageId, string personId, string emoji);

    /// <summary>Sends a <c>callout</c> to the room.</summary>
    Task<ChatMessage> CalloutAsync(ChatMessage callout);

    /// <summary>Alerts room only: adds to the person's unread counters and sends <paramref name="action"/> to that person's rows only.</summary>
    Task<NotificationCounts> AlertPersonAsync(string personId, string action, int notifications, PrivateMessage? privateMessage);
}
