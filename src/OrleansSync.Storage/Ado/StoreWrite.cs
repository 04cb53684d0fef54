namespace OrleansSync.Storage.Ado;

/// <summary>One queued write. A struct, so queuing a write allocates nothing of its own.</summary>
internal readonly record struct StoreWrite(StoreWriteKind Kind, string SessionId, long Sequence = 0, string? EventId = null,
    byte[]? Frame = null, SessionRecord? Session = null);

internal enum StoreWriteKind
{
    UpsertSession,
    DeleteSession,
    InsertEvent,
    DeleteEvent,
    DeleteQueue,
}
