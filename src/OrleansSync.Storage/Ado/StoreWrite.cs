using OrleansSync.Conversations;

namespace OrleansSync.Storage.Ado;

/// <summary>
/// One queued write. A struct, so queuing a write allocates nothing of its own. <c>Key</c> is the session id
/// (session writes) or the socket id (socket writes); the other fields are used by the kinds that need them.
/// <c>FirstSentAt</c> (unix milliseconds) is the queue row's first send, for inserts, moves (null: not sent yet) and marks.
/// </summary>
internal readonly record struct StoreWrite(StoreWriteKind Kind, string Key, long Epoch = 0, long Sequence = 0, long InboxId = 0,
    string? EventId = null, byte[]? Frame = null, SessionRecord? Session = null, string? NodeId = null, string? SessionId = null,
    RoomCaller? Identity = null, long? FirstSentAt = null);

internal enum StoreWriteKind
{
    /// <summary>Nothing to do (a queued event acked before its batch went: see <c>BatchWriter</c>).</summary>
    None,
    UpdateSession,
    DeleteSession,
    InsertEvent,
    MoveInboxEvent,
    DropInboxEvent,
    InsertInbox,
    DeleteEvent,
    MarkFirstSent,
    ClearQueue,
    UpsertSocket,
    UpdateSocketSession,
    DeleteSocket,
}
