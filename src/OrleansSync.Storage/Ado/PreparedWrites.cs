using System.Data.Common;

namespace OrleansSync.Storage.Ado;

/// <summary>
/// The write statements, prepared once per connection by the dialect (<see cref="WriteStatement"/>: on SQLite, on the
/// connection's handle) and reused by every batch. Writes that depend on the
/// session's epoch are fenced in SQL; their follow-ups (reroute to the inbox, drop the moved inbox row, drop the
/// deleted session's queue) run in the same transaction. A batch first stores the body of each event it writes queue or
/// inbox rows for, once per event (<see cref="SqlDialect.UpsertEventBody"/>), sorted by event id; a move out of the
/// inbox needs none, as the inbox row it replaces keeps the body in the same transaction.
/// </summary>
/// <remarks>
/// Where the dialect asks for it (<see cref="SqlDialect.PipelinesStatements"/>: PostgreSQL, a server a round trip
/// away), a batch is first tried as one pipelined <see cref="DbBatch"/>: every statement of every write goes in one
/// round trip, assuming the usual outcome of each fenced statement (the epoch matches), with the follow-ups that
/// outcome implies. If any fenced statement affected another number of rows than assumed, that transaction is rolled
/// back and the batch runs again statement by statement, exactly as without pipelining; so the committed result is
/// always the one of the statement-by-statement path. Runs of queue and inbox writes go as array statements where the
/// dialect has them (<see cref="QueueWriteRun"/>), with the same assumptions.
/// </remarks>
internal sealed class PreparedWrites : IDisposable
{
    private readonly DbConnection _connection;
    private readonly bool _pipelined;
    private readonly List<WriteStatement> _all = [];
    private readonly List<(int Statement, int ExpectedRows)> _assumptions = [];
    private readonly WriteStatement _updateSession, _deleteSession, _deleteOrphanQueue, _deleteOrphanInbox;
    private readonly WriteStatement _insertEvent, _insertInbox, _deleteInboxRow, _deleteEvent, _markFirstSent, _deleteQueue, _deleteInbox;
    private readonly WriteStatement _upsertSocket, _updateSocketSession, _deleteSocket, _upsertBody;
    private readonly Dictionary<string, byte[]> _bodies = new(StringComparer.Ordinal);
    private readonly List<string> _bodyIds = [];
    private readonly WriteStatement? _wakeInboxOwner;
    private readonly SqlDialect _dialect;
    private readonly HashSet<string> _wakeNodes = new(StringComparer.Ordinal);
    private bool _wakesSuppressed;
    private DbTransaction? _transaction;
    private readonly QueueWriteRun? _queueRun;

    public PreparedWrites(DbConnection connection, SqlDialect dialect)
    {
        _connection = connection;
        _pipelined = dialect.PipelinesStatements && connection.CanCreateBatch;
        _queueRun = _pipelined && dialect.QueueWriteArrays is not null ? new QueueWriteRun() : null;
        _dialect = dialect;
        _wakeInboxOwner = dialect.WakeInboxOwner is { } wake ? Command(wake, "payload") : null;
        _updateSession = Command(dialect.UpdateSession, "session_id", "epoch", "need_full_sync", "retention_deadline", "owner_node", "detached_at");
        _deleteSession = Command(dialect.DeleteSession, "session_id", "epoch");
        _deleteOrphanQueue = Command(dialect.DeleteOrphanQueue, "session_id");
        _deleteOrphanInbox = Command(dialect.DeleteOrphanInbox, "session_id");
        _insertEvent = Command(dialect.InsertEventFenced, "session_id", "epoch", "seq", "event_id", "first_sent_at");
        _insertInbox = Command(dialect.InsertInbox, "session_id", "event_id", "false");
        _upsertBody = Command(dialect.UpsertEventBody, "event_id", "frame");
        _deleteInboxRow = Command(dialect.DeleteInboxRow, "id");
        _deleteEvent = Command(dialect.DeleteEvent, "session_id", "event_id");
        _markFirstSent = Command(dialect.MarkFirstSent, "session_id", "event_id", "first_sent_at");
        _deleteQueue = Command(dialect.DeleteQueueFenced, "session_id", "epoch");
        _deleteInbox = Command(dialect.DeleteInboxFenced, "session_id", "epoch");
        _upsertSocket = Command(dialect.UpsertSocket, "socket_id", "node_id");
        _updateSocketSession = Command(dialect.UpdateSocketSession, "socket_id", "session_id", "church_id", "person_id", "display_name");
        _deleteSocket = Command(dialect.DeleteSocket, "socket_id");
    }

    /// <summary>Queue inserts of the last batch that were fenced out and went to the session's inbox instead.</summary>
    public List<(string Session, string EventId)> Rerouted { get; } = [];

    public async Task ExecuteAsync(List<StoreWrite> batch)
    {
        _wakesSuppressed = false;
        try
        {
            await ExecuteOnceAsync(batch).ConfigureAwait(false);
        }
        catch (DbException) when (NodesToWake(batch).Count > 0)
        {
            // A wake-up must never cost the data (a full NOTIFY queue fails the commit): without its wake-ups the
            // batch commits, and the target nodes' polls find the rows.
            _wakesSuppressed = true;
            await ExecuteOnceAsync(batch).ConfigureAwait(false);
        }
    }

    private async Task ExecuteOnceAsync(List<StoreWrite> batch)
    {
        Rerouted.Clear();
        if (_pipelined && await TryExecutePipelinedAsync(batch).ConfigureAwait(false))
        {
            return;
        }
        await using var transaction = await _connection.BeginTransactionAsync().ConfigureAwait(false);
        _transaction = transaction;
        foreach (var eventId in BodiesOf(batch))
        {
            await _upsertBody.Add(eventId).Add(_bodies[eventId]).RunAsync(_transaction).ConfigureAwait(false);
        }
        foreach (var write in batch)
        {
            await ApplyAsync(write).ConfigureAwait(false);
        }
        foreach (var node in NodesToWake(batch))
        {
            await _wakeInboxOwner!.Add(_dialect.InboxWakePayload(node)).RunAsync(_transaction).ConfigureAwait(false);
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
                await _updateSession.Add(session.SessionId).Add(session.Epoch).Add(session.NeedFullSync)
                    .Add(session.RetentionDeadline?.ToUnixTimeMilliseconds()).Add(session.OwnerNode)
                    .Add(session.DetachedAt?.ToUnixTimeMilliseconds()).RunAsync(_transaction).ConfigureAwait(false);
                break;
            case StoreWriteKind.DeleteSession:
                if (await _deleteSession.Add(write.Key).Add(write.Epoch).RunAsync(_transaction).ConfigureAwait(false) > 0)
                {
                    await _deleteOrphanQueue.Add(write.Key).RunAsync(_transaction).ConfigureAwait(false);
                    await _deleteOrphanInbox.Add(write.Key).RunAsync(_transaction).ConfigureAwait(false);
                }
                break;
            case StoreWriteKind.InsertEvent:
                if (await InsertEventAsync(write).ConfigureAwait(false) == 0)
                {
                    // Fenced out: another node owns the session now. The event is not lost: it waits in the inbox for the owner.
                    await InsertInboxAsync(write).ConfigureAwait(false);
                    Rerouted.Add((write.Key, write.EventId!));
                }
                break;
            case StoreWriteKind.MoveInboxEvent:
                if (await InsertEventAsync(write).ConfigureAwait(false) > 0)
                {
                    await _deleteInboxRow.Add(write.InboxId).RunAsync(_transaction).ConfigureAwait(false);
                }
                break;
            case StoreWriteKind.DropInboxEvent:
                await _deleteInboxRow.Add(write.InboxId).RunAsync(_transaction).ConfigureAwait(false);
                break;
            case StoreWriteKind.InsertInbox:
                await InsertInboxAsync(write).ConfigureAwait(false);
                break;
            case StoreWriteKind.DeleteEvent:
                await _deleteEvent.Add(write.Key).Add(write.EventId).RunAsync(_transaction).ConfigureAwait(false);
                break;
            case StoreWriteKind.MarkFirstSent:
                await _markFirstSent.Add(write.Key).Add(write.EventId).Add(write.FirstSentAt).RunAsync(_transaction).ConfigureAwait(false);
                break;
            case StoreWriteKind.ClearQueue:
                await _deleteQueue.Add(write.Key).Add(write.Epoch).RunAsync(_transaction).ConfigureAwait(false);
                await _deleteInbox.Add(write.Key).Add(write.Epoch).RunAsync(_transaction).ConfigureAwait(false);
                break;
            case StoreWriteKind.UpsertSocket:
                await _upsertSocket.Add(write.Key).Add(write.NodeId).RunAsync(_transaction).ConfigureAwait(false);
                break;
            case StoreWriteKind.UpdateSocketSession:
                await _updateSocketSession.Add(write.Key).Add(write.SessionId).Add(write.Identity?.ChurchId).Add(write.Identity?.PersonId)
                    .Add(write.Identity?.DisplayName).RunAsync(_transaction).ConfigureAwait(false);
                break;
            case StoreWriteKind.DeleteSocket:
                await _deleteSocket.Add(write.Key).RunAsync(_transaction).ConfigureAwait(false);
                break;
            case StoreWriteKind.None:
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(write), write.Kind, "Unknown store write.");
        }
    }

    /// <summary>
    /// One round trip for the whole batch, assuming every fenced statement matches its session's epoch. False (and
    /// nothing committed) when an assumption did not hold: the caller then runs the batch statement by statement.
    /// </summary>
    private async Task<bool> TryExecutePipelinedAsync(List<StoreWrite> batch)
    {
        await using var transaction = await _connection.BeginTransactionAsync().ConfigureAwait(false);
        await using var pipeline = _connection.CreateBatch();
        pipeline.Transaction = transaction;
        _assumptions.Clear();
        _queueRun?.Clear();
        AppendBodies(pipeline, BodiesOf(batch));
        foreach (var write in batch)
        {
            if (_queueRun is not null && _queueRun.TryAdd(write))
            {
                continue;
            }
            FlushQueueRun(pipeline);
            if (_queueRun is not null && _queueRun.TryAdd(write))
            {
                continue; // it only clashed with the run just flushed
            }
            AppendPipelined(pipeline, write);
        }
        FlushQueueRun(pipeline);
        foreach (var node in NodesToWake(batch))
        {
            SqlCommands.AppendToBatch(pipeline, _wakeInboxOwner!, _dialect.InboxWakePayload(node));
        }
        try
        {
            await pipeline.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch (DbException failure)
        {
            // Whatever failed, the statement-by-statement run decides (and raises its own error if there is one), unless
            // the connection itself broke (the server ended it): then nothing can run on it, and its error is the batch's.
            try
            {
                await transaction.RollbackAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            }
            return false;
        }
        foreach (var (statement, expectedRows) in _assumptions)
        {
            if (pipeline.BatchCommands[statement].RecordsAffected != expectedRows)
            {
                await transaction.RollbackAsync().ConfigureAwait(false);
                return false;
            }
        }
        await transaction.CommitAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>Appends the queue writes gathered so far as array statements (see <see cref="QueueWriteRun"/>).</summary>
    private void FlushQueueRun(DbBatch pipeline)
    {
        if (_queueRun is null || _queueRun.IsEmpty)
        {
            return;
        }
        var (insert, expectedRows) = _queueRun.AppendTo(pipeline, _dialect.QueueWriteArrays!, _deleteEvent, _deleteInboxRow, _markFirstSent);
        if (insert >= 0)
        {
            Assume(insert, expectedRows);
        }
    }

    /// <summary>The statements <see cref="ApplyAsync"/> runs for <paramref name="write"/> when every fenced statement matches its epoch.</summary>
    private void AppendPipelined(DbBatch pipeline, StoreWrite write)
    {
        switch (write.Kind)
        {
            case StoreWriteKind.UpdateSession:
                var session = write.Session!;
                SqlCommands.AppendToBatch(pipeline, _updateSession, session.SessionId, session.Epoch, session.NeedFullSync,
                    session.RetentionDeadline is { } deadline ? deadline.ToUnixTimeMilliseconds() : null, session.OwnerNode,
                    session.DetachedAt?.ToUnixTimeMilliseconds());
                break;
            case StoreWriteKind.DeleteSession:
                Assume(SqlCommands.AppendToBatch(pipeline, _deleteSession, write.Key, write.Epoch), 1);
                SqlCommands.AppendToBatch(pipeline, _deleteOrphanQueue, write.Key);
                SqlCommands.AppendToBatch(pipeline, _deleteOrphanInbox, write.Key);
                break;
            case StoreWriteKind.InsertEvent:
                Assume(SqlCommands.AppendToBatch(pipeline, _insertEvent, write.Key, write.Epoch, write.Sequence, write.EventId, write.FirstSentAt), 1);
                break;
            case StoreWriteKind.MoveInboxEvent:
                Assume(SqlCommands.AppendToBatch(pipeline, _insertEvent, write.Key, write.Epoch, write.Sequence, write.EventId, write.FirstSentAt), 1);
                SqlCommands.AppendToBatch(pipeline, _deleteInboxRow, write.InboxId);
                break;
            case StoreWriteKind.DropInboxEvent:
                SqlCommands.AppendToBatch(pipeline, _deleteInboxRow, write.InboxId);
                break;
            case StoreWriteKind.InsertInbox:
                SqlCommands.AppendToBatch(pipeline, _insertInbox, write.Key, write.EventId, false);
                break;
            case StoreWriteKind.DeleteEvent:
                SqlCommands.AppendToBatch(pipeline, _deleteEvent, write.Key, write.EventId);
                break;
            case StoreWriteKind.MarkFirstSent:
                SqlCommands.AppendToBatch(pipeline, _markFirstSent, write.Key, write.EventId, write.FirstSentAt);
                break;
            case StoreWriteKind.ClearQueue:
                SqlCommands.AppendToBatch(pipeline, _deleteQueue, write.Key, write.Epoch);
                SqlCommands.AppendToBatch(pipeline, _deleteInbox, write.Key, write.Epoch);
                break;
            case StoreWriteKind.UpsertSocket:
                SqlCommands.AppendToBatch(pipeline, _upsertSocket, write.Key, write.NodeId);
                break;
            case StoreWriteKind.UpdateSocketSession:
                SqlCommands.AppendToBatch(pipeline, _updateSocketSession, write.Key, write.SessionId, write.Identity?.ChurchId, write.Identity?.PersonId,
                    write.Identity?.DisplayName);
                break;
            case StoreWriteKind.DeleteSocket:
                SqlCommands.AppendToBatch(pipeline, _deleteSocket, write.Key);
                break;
            case StoreWriteKind.None:
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(write), write.Kind, "Unknown store write.");
        }
    }

    /// <summary>
    /// The events whose bodies this batch stores (those it writes queue or inbox rows for), each once, sorted by id (a
    /// lock order, see <c>PostgresDialect.QueueWriteArrays</c>); their bytes are in <see cref="_bodies"/>.
    /// </summary>
    private List<string> BodiesOf(List<StoreWrite> batch)
    {
        _bodies.Clear();
        _bodyIds.Clear();
        foreach (var write in batch)
        {
            if (write is { Kind: StoreWriteKind.InsertEvent or StoreWriteKind.InsertInbox, EventId: { } eventId, Frame: { } frame }
                && _bodies.TryAdd(eventId, frame))
            {
                _bodyIds.Add(eventId);
            }
        }
        _bodyIds.Sort(StringComparer.Ordinal);
        return _bodyIds;
    }

    private void AppendBodies(DbBatch pipeline, List<string> eventIds)
    {
        if (eventIds.Count == 0)
        {
            return;
        }
        if (_dialect.QueueWriteArrays is { } arrays)
        {
            var frames = new byte[eventIds.Count][];
            for (var i = 0; i < frames.Length; i++)
            {
                frames[i] = _bodies[eventIds[i]];
            }
            SqlCommands.AppendToBatch(pipeline, arrays.UpsertBodies, ["body_event_ids", "body_frames"], eventIds.ToArray(), frames);
            return;
        }
        foreach (var eventId in eventIds)
        {
            SqlCommands.AppendToBatch(pipeline, _upsertBody, eventId, _bodies[eventId]);
        }
    }

    /// <summary>The nodes whose inbox this batch writes to and that asked to be woken (each once).</summary>
    private HashSet<string> NodesToWake(List<StoreWrite> batch)
    {
        _wakeNodes.Clear();
        if (_wakeInboxOwner is not null && !_wakesSuppressed)
        {
            foreach (var write in batch)
            {
                if (write is { Kind: StoreWriteKind.InsertInbox, NodeId: { } node })
                {
                    _wakeNodes.Add(node);
                }
            }
        }
        return _wakeNodes;
    }

    private void Assume(int statement, int expectedRows) => _assumptions.Add((statement, expectedRows));

    private Task<int> InsertEventAsync(StoreWrite write) =>
        _insertEvent.Add(write.Key).Add(write.Epoch).Add(write.Sequence).Add(write.EventId).Add(write.FirstSentAt).RunAsync(_transaction);

    private Task<int> InsertInboxAsync(StoreWrite write) => _insertInbox.Add(write.Key).Add(write.EventId).Add(false).RunAsync(_transaction);

    private WriteStatement Command(string sql, params string[] parameterNames)
    {
        var statement = _dialect.PrepareWrite(_connection, sql, parameterNames);
        _all.Add(statement);
        return statement;
    }

    public void Dispose()
    {
        foreach (var command in _all)
        {
            command.Dispose();
        }
    }
}
