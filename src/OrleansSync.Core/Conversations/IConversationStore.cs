namespace OrleansSync.Conversations;

/// <summary>Durable state of rooms: conversations, messages, reactions, connection rows and unread counters.</summary>
public interface IConversationStore
{
    /// <summary>Inserts conversations.</summary>
    Task SaveConversationsAsync(IReadOnlyList<Conversation> conversations, CancellationToken cancellationToken = default);

    /// <summary>The conversation, or null.</summary>
    Task<Conversation?> LoadConversationAsync(string churchId, string conversationId, CancellationToken cancellationToken = default);

    /// <summary>Inserts messages, or updates them if their id exists (all or none).</summary>
    Task SaveMessagesAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken = default);

    /// <summary>The message, or null.</summary>
    Task<ChatMessage?> LoadMessageAsync(string messageId, CancellationToken cancellationToken = default);

    /// <summary>The last <paramref name="limit"/> messages of a room, in the order they were sent.</summary>
    Task<IReadOnlyList<ChatMessage>> LoadMessagesAsync(string churchId, string conversationId, int limit, CancellationToken cancellationToken = default);

    /// <summary>Deletes a message and its reactions.</summary>
    Task DeleteMessageAsync(string messageId, CancellationToken cancellationToken = default);

    /// <summary>Adds the reaction if absent, removes it if present; true if it was added.</summary>
    Task<bool> ToggleReactionAsync(string messageId, string personId, string emoji, CancellationToken cancellationToken = default);

    /// <summary>Connection rows of a room.</summary>
    Task<IReadOnlyList<RoomConnection>> LoadConnectionsAsync(string churchId, string conversationId, CancellationToken cancellationToken = default);

    /// <summary>Inserts connection rows (with the node and session of their socket).</summary>
    Task SaveConnectionsAsync(IReadOnlyList<RoomConnection> connections, CancellationToken cancellationToken = default);

    /// <summary>Deletes a socket's rows in one room; returns how many.</summary>
    Task<int> DeleteConnectionsAsync(string churchId, string conversationId, string socketId, CancellationToken cancellationToken = default);

    /// <summary>Renames a socket's rows in one room; returns how many.</summary>
    Task<int> RenameConnectionsAsync(string churchId, string conversationId, string socketId, string displayName, CancellationToken cancellationToken = default);

    /// <summary>The rooms a socket has rows in.</summary>
    Task<IReadOnlyList<RoomKey>> LoadRoomsOfSocketAsync(string socketId, CancellationToken cancellationToken = default);

    /// <summary>Deletes every row owned by <paramref name="nodeId"/> (its sockets are gone); returns the rooms touched.</summary>
    Task<IReadOnlyList<RoomKey>> DeleteConnectionsOfNodeAsync(string nodeId, CancellationToken cancellationToken = default);

    /// <summary>Saves a private message.</summary>
    Task SavePrivateMessageAsync(PrivateMessage message, CancellationToken cancellationToken = default);

    /// <summary>Adds to a person's unread counters and returns the new values.</summary>
    Task<NotificationCounts> AddToCountsAsync(string churchId, string personId, int notifications, int privateMessages, CancellationToken cancellationToken = default);

    /// <summary>A person's unread counters (zero if none).</summary>
    Task<NotificationCounts> LoadCountsAsync(string churchId, string personId, CancellationToken cancellationToken = default);
}
