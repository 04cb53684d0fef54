using System.Data.Common;

namespace OrleansSync.Storage.Ado;

/// <summary>
/// The SQL of <see cref="QueueWriteRun"/>'s inserts and of a batch's event bodies, each taking parallel arrays
/// (PostgreSQL's <c>unnest</c>).
/// </summary>
/// <param name="InsertEvents">@session_ids, @epochs, @seqs, @event_ids, @first_sent_ats: inserts each row whose session epoch is current.</param>
/// <param name="InsertInbox">@session_ids, @event_ids: inbox rows in array order, skipping sessions that need a full sync.</param>
/// <param name="UpsertBodies">@body_event_ids, @body_frames: <see cref="SqlDialect.UpsertEventBody"/> for each, in array order.</param>
public sealed record QueueWriteArraySql(string InsertEvents, string InsertInbox, string UpsertBodies);

/// <summary>
/// Consecutive queue and inbox writes of a pipelined batch, with the inserts sent as one array statement per table
/// instead of one statement per write: under load a batch holds hundreds of them, and each statement costs the
/// database a parse, bind and executor start and the node a command with its parameters. Deletes (and first-send marks) stay one keyed
/// statement per row: as array statements PostgreSQL planned them as scans of the whole queue table (its generic
/// plan, made while the table was small, outlived the table's growth between vacuums).
/// </summary>
/// <remarks>
/// Statements of one run may run in any order: a run holds each (session, event) at most once (a second write for
/// the same pair ends the run, see <see cref="TryAdd"/>), inserts and deletes of different events commute, and the
/// inbox keeps the writes' order through the array order. Any other kind of write ends the run, so writes of other
/// kinds keep their place in the batch.
/// </remarks>
internal sealed class QueueWriteRun
{
    private readonly List<string> _insertSessions = [], _insertEventIds = [];
    private readonly List<long> _insertEpochs = [], _insertSequences = [];
    private readonly List<long?> _insertFirstSentAts = [];
    private readonly List<string> _inboxSessions = [], _inboxEventIds = [];
    private readonly List<string> _deleteSessions = [], _deleteEventIds = [];
    private readonly List<long> _dropInboxIds = [];
    private readonly List<StoreWrite> _marks = [];
    private readonly HashSet<(string Session, string EventId)> _events = [];

    public bool IsEmpty => _events.Count == 0 && _dropInboxIds.Count == 0;

    /// <summary>Takes a queue or inbox write; false if it is of another kind or touches an event already in the run.</summary>
    public bool TryAdd(in StoreWrite write)
    {
        switch (write.Kind)
        {
            case StoreWriteKind.InsertEvent or StoreWriteKind.MoveInboxEvent when _events.Add((write.Key, write.EventId!)):
                _insertSessions.Add(write.Key);
                _insertEpochs.Add(write.Epoch);
                _insertSequences.Add(write.Sequence);
                _insertEventIds.Add(write.EventId!);
                _insertFirstSentAts.Add(write.FirstSentAt);
                if (write.Kind == StoreWriteKind.MoveInboxEvent)
                {
                    _dropInboxIds.Add(write.InboxId);
                }
                return true;
            case StoreWriteKind.InsertInbox when _events.Add((write.Key, write.EventId!)):
                _inboxSessions.Add(write.Key);
                _inboxEventIds.Add(write.EventId!);
                return true;
            case StoreWriteKind.DeleteEvent when _events.Add((write.Key, write.EventId!)):
                _deleteSessions.Add(write.Key);
                _deleteEventIds.Add(write.EventId!);
                return true;
            case StoreWriteKind.DropInboxEvent:
                _dropInboxIds.Add(write.InboxId);
                return true;
            case StoreWriteKind.MarkFirstSent when _events.Add((write.Key, write.EventId!)):
                _marks.Add(write);
                return true;
            case StoreWriteKind.None:
                return true; // nothing to write (an insert and its ack that cancelled out), so nothing to keep in order
            default:
                return false;
        }
    }

    /// <summary>
    /// Appends the run's statements to <paramref name="pipeline"/> (deletes from the one-row templates) and empties
    /// the run. Returns the index of the insert statement and how many rows it must insert (every epoch current), or
    /// (-1, 0) when there is none.
    /// </summary>
    public (int Statement, int ExpectedRows) AppendTo(DbBatch pipeline, QueueWriteArraySql sql, WriteStatement deleteEvent, WriteStatement deleteInboxRow,
        WriteStatement markFirstSent)
    {
        var insert = (-1, 0);
        if (_insertSessions.Count > 0)
        {
            insert = (SqlCommands.AppendToBatch(pipeline, sql.InsertEvents, ["session_ids", "epochs", "seqs", "event_ids", "first_sent_ats"],
                _insertSessions.ToArray(), _insertEpochs.ToArray(), _insertSequences.ToArray(), _insertEventIds.ToArray(),
                _insertFirstSentAts.ToArray()),
                _insertSessions.Count);
        }
        if (_inboxSessions.Count > 0)
        {
            SqlCommands.AppendToBatch(pipeline, sql.InsertInbox, ["session_ids", "event_ids"],
                _inboxSessions.ToArray(), _inboxEventIds.ToArray());
        }
        for (var i = 0; i < _deleteSessions.Count; i++)
        {
            SqlCommands.AppendToBatch(pipeline, deleteEvent, _deleteSessions[i], _deleteEventIds[i]);
        }
        foreach (var id in _dropInboxIds)
        {
            SqlCommands.AppendToBatch(pipeline, deleteInboxRow, id);
        }
        foreach (var mark in _marks)
        {
            SqlCommands.AppendToBatch(pipeline, markFirstSent, mark.Key, mark.EventId, mark.FirstSentAt);
        }
        Clear();
        return insert;
    }

    public void Clear()
    {
        _insertSessions.Clear();
        _insertEpochs.Clear();
        _insertSequences.Clear();
        _insertEventIds.Clear();
        _insertFirstSentAts.Clear();
        _inboxSessions.Clear();
        _inboxEventIds.Clear();
        _deleteSessions.Clear();
        _deleteEventIds.Clear();
        _dropInboxIds.Clear();
        _marks.Clear();
        _events.Clear();
    }
}
