using System.Data.Common;
using OrleansSync.Conversations;
using OrleansSync.Diagnostics;
using static OrleansSync.Storage.Ado.SqlCommands;

namespace OrleansSync.Storage.Ado;

/// <summary>
/// <see cref="IConversationStore"/> over ADO.NET. Room traffic (joins, posts) is far lighter than event
/// delivery, so these writes commit directly, each in one transaction (all or none). A write the store cannot take
/// now (read-only, full, unreachable) throws <see cref="StoreUnavailableException"/> and counts in the store's health,
/// like the session store's (<see cref="StoreFaults"/>): the caller answers 503, not 500.
/// </summary>
/// <param name="dialect">The database.</param>
/// <param name="health">The store's health (<c>/readyz</c>); null in tests and tools.</param>
public sealed class AdoConversationStore(SqlDialect dialect, StoreHealth? health = null) : IConversationStore, IRoomStats
{
    private readonly StoreFaults _faults = new(dialect, health);

    /// <inheritdoc />
    public async Task<IReadOnlyList<RoomViewers>> BusiestRoomsAsync(int max, CancellationToken cancellationToken = default)
    {
        await using var connection = await dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAsync(connection, dialect.SelectBusiestRooms, static r => new RoomViewers(r.GetString(0), r.GetString(1),
            Convert.ToInt32(r.GetValue(2), System.Globalization.CultureInfo.InvariantCulture)), cancellationToken,
            ("limit", max), ("alerts", RoomKey.AlertsConversationId)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task SaveConversationsAsync(IReadOnlyList<Conversation> conversations, CancellationToken cancellationToken = default) =>
        InTransactionAsync(async (connection, transaction) =>
        {
            foreach (var c in conversations)
            {
                await ExecuteAsync(connection, transaction, dialect.InsertConversation, cancellationToken,
                    ("id", c.Id), ("church_id", c.ChurchId), ("content_type", c.ContentType), ("content_id", c.ContentId), ("title", c.Title),
                    ("allow_anonymous_posts", c.AllowAnonymousPosts), ("date_created", ToUnixMs(c.DateCreated))).ConfigureAwait(false);
            }
        }, cancellationToken);

    /// <inheritdoc />
    public async Task<Conversation?> LoadConversationAsync(string churchId, string conversationId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await ReadAsync(connection, dialect.SelectConversation, static r => new Conversation(r.GetString(0), r.GetString(1), r.GetString(2),
            r.GetString(3), r.GetString(4), r.GetBoolean(5), FromUnixMs(r.GetInt64(6))), cancellationToken,
            ("church_id", churchId), ("id", conversationId)).ConfigureAwait(false);
        return rows.FirstOrDefault();
    }

    /// <inheritdoc />
    public Task SaveMessagesAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken = default) =>
        InTransactionAsync(async (connection, transaction) =>
        {
            foreach (var m in messages)
            {
                await ExecuteAsync(connection, transaction, dialect.UpsertMessage, cancellationToken,
                    ("id", m.Id), ("church_id", m.ChurchId), ("conversation_id", m.ConversationId), ("person_id", m.PersonId),
                    ("display_name", m.DisplayName), ("time_sent", ToUnixMs(m.TimeSent)), ("message_type", m.MessageType), ("content", m.Content),
                    ("time_updated", m.TimeUpdated is { } updated ? ToUnixMs(updated) : null)).ConfigureAwait(false);
            }
        }, cancellationToken);

    /// <inheritdoc />
    public async Task<ChatMessage?> LoadMessageAsync(string messageId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return (await ReadAsync(connection, dialect.SelectMessage, ReadMessage, cancellationToken, ("id", messageId)).ConfigureAwait(false)).FirstOrDefault();
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ChatMessage>> LoadMessagesAsync(string churchId, string conversationId, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAsync(connection, dialect.SelectMessages, ReadMessage, cancellationToken,
            ("church_id", churchId), ("conversation_id", conversationId), ("limit", limit)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task DeleteMessageAsync(string messageId, CancellationToken cancellationToken = default) =>
        InTransactionAsync(async (connection, transaction) =>
        {
            await ExecuteAsync(connection, transaction, dialect.DeleteReactionsOfMessage, cancellationToken, ("id", messageId)).ConfigureAwait(false);
            await ExecuteAsync(connection, transaction, dialect.DeleteMessage, cancellationToken, ("id", messageId)).ConfigureAwait(false);
        }, cancellationToken);

    /// <inheritdoc />
    public async Task<bool> ToggleReactionAsync(string messageId, string personId, string emoji, CancellationToken cancellationToken = default)
    {
        var added = false;
        await InTransactionAsync(async (connection, transaction) =>
        {
            var removed = await ExecuteAsync(connection, transaction, dialect.DeleteReaction, cancellationToken,
                ("message_id", messageId), ("person_id", personId), ("emoji", emoji)).ConfigureAwait(false);
            if (removed == 0)
            {
                await ExecuteAsync(connection, transaction, dialect.InsertReaction, cancellationToken,
                    ("message_id", messageId), ("person_id", personId), ("emoji", emoji)).ConfigureAwait(false);
                added = true;
            }
        }, cancellationToken).ConfigureAwait(false);
        return added;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RoomConnection>> LoadConnectionsAsync(string churchId, string conversationId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAsync(connection, dialect.SelectConnections, static r => new RoomConnection(r.GetString(0), r.GetString(1), r.GetString(2),
            NullableString(r, 3), r.GetString(4), r.GetString(5), FromUnixMs(r.GetInt64(6)), r.GetString(7), NullableString(r, 8)), cancellationToken,
            ("church_id", churchId), ("conversation_id", conversationId)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task SaveConnectionsAsync(IReadOnlyList<RoomConnection> connections, CancellationToken cancellationToken = default) =>
        InTransactionAsync(async (connection, transaction) =>
        {
            foreach (var c in connections)
            {
                await ExecuteAsync(connection, transaction, dialect.InsertConnection, cancellationToken,
                    ("id", c.Id), ("church_id", c.ChurchId), ("conversation_id", c.ConversationId), ("person_id", c.PersonId),
                    ("display_name", c.DisplayName), ("socket_id", c.SocketId), ("time_joined", ToUnixMs(c.TimeJoined)), ("node_id", c.NodeId),
                    ("session_id", c.SessionId)).ConfigureAwait(false);
            }
        }, cancellationToken);

    /// <inheritdoc />
    public async Task<int> DeleteConnectionsAsync(string churchId, string conversationId, string socketId, CancellationToken cancellationToken = default)
    {
        var deleted = 0;
        await InTransactionAsync(async (connection, transaction) => deleted = await ExecuteAsync(connection, transaction, dialect.DeleteConnections,
            cancellationToken, ("church_id", churchId), ("conversation_id", conversationId), ("socket_id", socketId)).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    /// <inheritdoc />
    public async Task<int> RenameConnectionsAsync(string churchId, string conversationId, string socketId, string displayName, CancellationToken cancellationToken = default)
    {
        var renamed = 0;
        await InTransactionAsync(async (connection, transaction) => renamed = await ExecuteAsync(connection, transaction, dialect.RenameConnections,
            cancellationToken, ("church_id", churchId), ("conversation_id", conversationId), ("socket_id", socketId), ("display_name", displayName))
            .ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return renamed;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RoomKey>> LoadRoomsOfSocketAsync(string socketId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAsync(connection, dialect.SelectRoomsOfSocket, static r => new RoomKey(r.GetString(0), r.GetString(1)),
            cancellationToken, ("socket_id", socketId)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RoomKey>> DeleteConnectionsOfNodeAsync(string nodeId, CancellationToken cancellationToken = default)
    {
        List<RoomKey> rooms = [];
        await InTransactionAsync(async (connection, transaction) =>
        {
            await using (var select = Create(connection, dialect.SelectRoomsOfNode, ("node_id", nodeId)))
            {
                select.Transaction = transaction;
                await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rooms.Add(new RoomKey(reader.GetString(0), reader.GetString(1)));
                }
            }
            await ExecuteAsync(connection, transaction, dialect.DeleteConnectionsOfNode, cancellationToken, ("node_id", nodeId)).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return rooms;
    }

    /// <inheritdoc />
    public Task SavePrivateMessageAsync(PrivateMessage m, CancellationToken cancellationToken = default) =>
        InTransactionAsync((connection, transaction) => ExecuteAsync(connection, transaction, dialect.InsertPrivateMessage, cancellationToken,
            ("id", m.Id), ("church_id", m.ChurchId), ("from_person_id", m.FromPersonId), ("from_display_name", m.FromDisplayName),
            ("to_person_id", m.ToPersonId), ("content", m.Content), ("time_sent", ToUnixMs(m.TimeSent))), cancellationToken);

    /// <inheritdoc />
    public async Task<NotificationCounts> AddToCountsAsync(string churchId, string personId, int notifications, int privateMessages, CancellationToken cancellationToken = default)
    {
        await InTransactionAsync((connection, transaction) => ExecuteAsync(connection, transaction, dialect.AddToCounts, cancellationToken,
            ("church_id", churchId), ("person_id", personId), ("notifications", notifications), ("pms", privateMessages)), cancellationToken).ConfigureAwait(false);
        return await LoadCountsAsync(churchId, personId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<NotificationCounts> LoadCountsAsync(string churchId, string personId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await ReadAsync(connection, dialect.SelectCounts, static r => new NotificationCounts(r.GetInt32(0), r.GetInt32(1)), cancellationToken,
            ("church_id", churchId), ("person_id", personId)).ConfigureAwait(false);
        return rows.FirstOrDefault() ?? new NotificationCounts(0, 0);
    }

    private static ChatMessage ReadMessage(DbDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), NullableString(r, 3),
        r.GetString(4), FromUnixMs(r.GetInt64(5)), r.GetString(6), r.GetString(7), r.IsDBNull(8) ? null : FromUnixMs(r.GetInt64(8)));

    /// <summary>Every write of this store: one transaction, and the store's rule for faults.</summary>
    private async Task InTransactionAsync(Func<DbConnection, DbTransaction, Task> work, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await work(connection, transaction).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (_faults.Describe(exception) is { } reason)
        {
            throw _faults.Unavailable(reason, exception, StoreWritePath.Direct);
        }
        _faults.Succeeded(StoreWritePath.Direct);
    }
}
