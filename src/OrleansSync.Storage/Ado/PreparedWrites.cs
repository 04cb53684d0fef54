using System.Data;
using System.Data.Common;

namespace OrleansSync.Storage.Ado;

/// <summary>The write statements, created once per connection and reused by every batch.</summary>
internal sealed class PreparedWrites : IDisposable
{
    private readonly DbConnection _connection;
    private readonly DbCommand _upsertSession;
    private readonly DbCommand _deleteSession;
    private readonly DbCommand _deleteSessionQueue;
    private readonly DbCommand _insertEvent;
    private readonly DbCommand _deleteEvent;

    public PreparedWrites(DbConnection connection, SqlDialect dialect)
    {
        _connection = connection;
        _upsertSession = Command(dialect.UpsertSession, "session_id", "user_id", "need_full_sync", "retention_deadline");
        _deleteSession = Command(dialect.DeleteSession, "session_id");
        _deleteSessionQueue = Command(dialect.DeleteQueue, "session_id");
        _insertEvent = Command(dialect.InsertEvent, "session_id", "seq", "event_id", "frame");
        _deleteEvent = Command(dialect.DeleteEvent, "session_id", "seq");
    }

    public async Task ExecuteAsync(List<StoreWrite> batch)
    {
        await using var transaction = await _connection.BeginTransactionAsync().ConfigureAwait(false);
        foreach (var write in batch)
        {
            var command = Bind(write);
            command.Transaction = transaction;
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
            if (write.Kind == StoreWriteKind.DeleteSession)
            {
                _deleteSessionQueue.Parameters[0].Value = write.SessionId;
                _deleteSessionQueue.Transaction = transaction;
                await _deleteSessionQueue.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
        }
        await transaction.CommitAsync().ConfigureAwait(false);
    }

    private DbCommand Bind(in StoreWrite write)
    {
        switch (write.Kind)
        {
            case StoreWriteKind.UpsertSession:
                var session = write.Session!;
                _upsertSession.Parameters[0].Value = session.SessionId;
                _upsertSession.Parameters[1].Value = session.UserId;
                _upsertSession.Parameters[2].Value = session.NeedFullSync;
                _upsertSession.Parameters[3].Value = session.RetentionDeadline is { } deadline ? deadline.ToUnixTimeMilliseconds() : DBNull.Value;
                return _upsertSession;
            case StoreWriteKind.DeleteSession:
                _deleteSession.Parameters[0].Value = write.SessionId;
                return _deleteSession;
            case StoreWriteKind.InsertEvent:
                _insertEvent.Parameters[0].Value = write.SessionId;
                _insertEvent.Parameters[1].Value = write.Sequence;
                _insertEvent.Parameters[2].Value = write.EventId;
                _insertEvent.Parameters[3].Value = write.Frame;
                return _insertEvent;
            case StoreWriteKind.DeleteEvent:
                _deleteEvent.Parameters[0].Value = write.SessionId;
                _deleteEvent.Parameters[1].Value = write.Sequence;
                return _deleteEvent;
            case StoreWriteKind.DeleteQueue:
                _deleteSessionQueue.Parameters[0].Value = write.SessionId;
                return _deleteSessionQueue;
            default:
                throw new ArgumentOutOfRangeException(nameof(write), write.Kind, "Unknown store write.");
        }
    }

    private DbCommand Command(string sql, params string[] parameterNames)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameterNames)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            parameter.Value = DBNull.Value;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    public void Dispose()
    {
        _upsertSession.Dispose();
        _deleteSession.Dispose();
        _deleteSessionQueue.Dispose();
        _insertEvent.Dispose();
        _deleteEvent.Dispose();
    }
}
