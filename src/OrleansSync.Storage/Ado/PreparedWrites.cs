using System.Data.Common;

namespace OrleansSync.Storage.Ado;

/// <summary>
/// The write statements, created once per connection and reused by every batch. Writes that depend on the
/// session's epoch are fenced in SQL; their follow-ups (reroute to the inbox, drop the moved inbox row, drop the
/// deleted session's queue) run in the same transaction.
/// </summary>
internal sealed class PreparedWrites : IDisposable
{
    private readonly DbConnection _connection;
    private readonly List<DbCommand> _all = [];
    private readonly DbCommand _updateSession, _deleteSession, _deleteOrphanQueue, _deleteOrphanInbox;
    private readonly DbCommand _insertEvent, _insertInbox, _deleteInboxRow, _deleteEvent, _deleteQueue, _deleteInbox;
    private readonly DbCommand _upsertSocket, _updateSocketSession, _deleteSocket;
    private DbTransaction? _transaction;

    public PreparedWrites(DbConnection connection, SqlDialect dialect)
    {
        _connection = connection;
        _updateSession = Command(dialect.UpdateSession, "session_id", "epoch", "need_full_sync", "retention_deadline", "owner_node");
        _deleteSession = Command(dialect.DeleteSession, "session_id", "epoch");
        _deleteOrphanQueue = Command(dialect.DeleteOrphanQueue, "session_id");
        _deleteOrphanInbox = Command(dialect.DeleteOrphanInbox, "session_id");
        _insertEvent = Command(dialect.InsertEventFenced, "session_id", "epoch", "seq", "event_id", "frame");
        _insertInbox = Command(dialect.InsertInbox, "session_id", "event_id", "frame", "false");
        _deleteInboxRow = Command(dialect.DeleteInboxRow, "id");
        _deleteEvent = Command(dialect.DeleteEvent, "session_id", "event_id");
        _deleteQueue = Command(dialect.DeleteQueueFenced, "session_id", "epoch");
        _deleteInbox = Command(dialect.DeleteInboxFenced, "session_id", "epoch");
        _upsertSocket = Command(dialect.UpsertSocket, "socket_id", "node_id");
        _updateSocketSession = Command(dialect.UpdateSocketSession, "socket_id", "session_id", "church_id", "person_id", "display_name");
        _deleteSocket = Command(dialect.DeleteSocket, "socket_id");
    }

    public async Task ExecuteAsync(List<StoreWrite> batch)
    {
        await using var transaction = await _connection.BeginTransactionAsync().ConfigureAwait(false);
        _transaction = transaction;
        foreach (var write in batch)
        {
            await ApplyAsync(write).ConfigureAwait(false);
        }
        await transaction.CommitAsync().ConfigureAwait(false);
        _transaction = null;
    }

    private async Task ApplyAsync(StoreWrite write)
    {
        switch (write.Kind)
        {
            case StoreWriteKind.UpdateSession:
                var session = write.Session!;
                await RunAsync(_updateSession, session.SessionId, session.Epoch, session.NeedFullSync,
                    session.RetentionDeadline is { } deadline ? deadline.ToUnixTimeMilliseconds() : null, session.OwnerNode).ConfigureAwait(false);
                break;
            case StoreWriteKind.DeleteSession:
                if (await RunAsync(_deleteSession, write.Key, write.Epoch).ConfigureAwait(false) > 0)
                {
                    await RunAsync(_deleteOrphanQueue, write.Key).ConfigureAwait(false);
                    await RunAsync(_deleteOrphanInbox, write.Key).ConfigureAwait(false);
                }
                break;
            case StoreWriteKind.InsertEvent:
                if (await RunAsync(_insertEvent, write.Key, write.Epoch, write.Sequence, write.EventId, write.Frame).ConfigureAwait(false) == 0)
                {
                    // Fenced out: another node owns the session now. The event is not lost: it waits in the inbox for the owner.
                    await RunAsync(_insertInbox, write.Key, write.EventId, write.Frame, false).ConfigureAwait(false);
                }
                break;
            case StoreWriteKind.MoveInboxEvent:
                if (await RunAsync(_insertEvent, write.Key, write.Epoch, write.Sequence, write.EventId, write.Frame).ConfigureAwait(false) > 0)
                {
                    await RunAsync(_deleteInboxRow, write.InboxId).ConfigureAwait(false);
                }
                break;
            case StoreWriteKind.DropInboxEvent:
                await RunAsync(_deleteInboxRow, write.InboxId).ConfigureAwait(false);
                break;
            case StoreWriteKind.InsertInbox:
                await RunAsync(_insertInbox, write.Key, write.EventId, write.Frame, false).ConfigureAwait(false);
                break;
            case StoreWriteKind.DeleteEvent:
                await RunAsync(_deleteEvent, write.Key, write.EventId).ConfigureAwait(false);
                break;
            case StoreWriteKind.ClearQueue:
                await RunAsync(_deleteQueue, write.Key, write.Epoch).ConfigureAwait(false);
                await RunAsync(_deleteInbox, write.Key, write.Epoch).ConfigureAwait(false);
                break;
            case StoreWriteKind.UpsertSocket:
                await RunAsync(_upsertSocket, write.Key, write.NodeId).ConfigureAwait(false);
                break;
            case StoreWriteKind.UpdateSocketSession:
                await RunAsync(_updateSocketSession, write.Key, write.SessionId, write.Identity?.ChurchId, write.Identity?.PersonId,
                    write.Identity?.DisplayName).ConfigureAwait(false);
                break;
            case StoreWriteKind.DeleteSocket:
                await RunAsync(_deleteSocket, write.Key).ConfigureAwait(false);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(write), write.Kind, "Unknown store write.");
        }
    }

    /// <summary>Binds the values in parameter order and executes in the batch's transaction.</summary>
    private Task<int> RunAsync(DbCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }
        command.Transaction = _transaction;
        return command.ExecuteNonQueryAsync();
    }

    private DbCommand Command(string sql, params string[] parameterNames)
    {
        var command = SqlCommands.Create(_connection, sql, parameterNames.Select(name => (name, (object?)null)).ToArray());
        _all.Add(command);
        return command;
    }

    public void Dispose()
    {
        foreach (var command in _all)
        {
            command.Dispose();
        }
    }
}
