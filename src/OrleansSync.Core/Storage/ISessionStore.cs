namespace OrleansSync.Storage;

/// <summary>
/// Durable state of sessions: rows, queues and inboxes. The node that holds a session's socket owns it
/// (claim, with an epoch bump); only the owner writes the queue, and its writes are fenced by the epoch.
/// Anyone may drop an event into a session's inbox. Batched writes return a task that completes when the
/// write is durable; writes issued in some order are applied in that order.
/// </summary>
public interface ISessionStore
{
    /// <summary>
    /// Inserts a new session (detached since <see cref="SessionRecord.DetachedAt"/>, flagged <c>need_full_sync</c>). If its
    /// user then has more than <paramref name="maxSessionsPerUser"/> sessions, the oldest others are deleted with their
    /// queues and inboxes in the same transaction: detached ones first, by the time they detached, then attached ones,
    /// by creation. Returns those, so the sockets of attached ones can be closed. Durable when it returns.
    /// </summary>
    Task<IReadOnlyList<RemovedSession>> CreateSessionAsync(SessionRecord session, int maxSessionsPerUser = int.MaxValue,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes <paramref name="nodeId"/> the owner of the session if it belongs to <paramref name="userId"/>, bumping
    /// the epoch, and reads its queue and inbox in the same transaction. Null if no such session of that user.
    /// Every batched write issued on this store before the call is durable before the claim (the epoch bump
    /// would fence it out otherwise).
    /// </summary>
    Task<ClaimedSession?> ClaimSessionAsync(string sessionId, string userId, string nodeId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The user's sessions and their owners, in one read; for the sessions <paramref name="nodeId"/> owns, also the
    /// events waiting in their inbox (published earlier through other nodes), for the others the oldest waiting one.
    /// </summary>
    Task<IReadOnlyList<UserSession>> LoadUserSessionsAsync(string userId, string nodeId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="limit"/> inbox events of all sessions owned by <paramref name="nodeId"/> with an id above
    /// <paramref name="afterId"/>, oldest first: one query drains a node's whole inbox, however many sessions it spans.
    /// </summary>
    Task<IReadOnlyList<OwnedInboxEvent>> LoadOwnedInboxAsync(string nodeId, long afterId, int limit, CancellationToken cancellationToken = default);

    /// <summary>Of <paramref name="sessionIds"/>, those the store says <paramref name="nodeId"/> does not own (the ownership backstop).</summary>
    Task<IReadOnlyList<string>> FindSessionsNotOwnedByAsync(string nodeId, IReadOnlyList<string> sessionIds, CancellationToken cancellationToken = default);

    /// <summary>Every session the store says <paramref name="nodeId"/> owns, with its epoch (one indexed read).</summary>
    Task<IReadOnlyList<OwnedSession>> FindOwnedSessionsAsync(string nodeId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Releases <paramref name="sessions"/> as <see cref="ReleaseSessionsOfNodeAsync"/> does (detached at
    /// <paramref name="detachedAt"/>, retention clock ending at <paramref name="deadline"/> unless flagged, epoch bumped),
    /// each only if <paramref name="nodeId"/> still owns it at the given epoch: a claim since then wins. Returns how many.
    /// </summary>
    Task<int> ReleaseOwnedSessionsAsync(string nodeId, IReadOnlyList<OwnedSession> sessions, DateTimeOffset detachedAt, DateTimeOffset deadline,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Drops the queue and inbox of every detached session whose retention deadline passed and sets its flag,
    /// in one statement set (so it happens once however many nodes sweep). Returns how many sessions expired.
    /// </summary>
    Task<int> ExpireSessionsAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Enforces the queue bound on detached sessions: a session whose queue and inbox together hold more than
    /// <paramref name="maxQueued"/> events loses them and gets its flag set. Returns how many sessions.
    /// </summary>
    Task<int> FlagOverflowingSessionsAsync(int maxQueued, CancellationToken cancellationToken = default);

    /// <summary>
    /// The node's sockets are gone (it restarted or died): its sessions become detached at <paramref name="detachedAt"/>
    /// with their retention clock ending at <paramref name="deadline"/>, and their epoch is bumped. Returns how many sessions.
    /// </summary>
    Task<int> ReleaseSessionsOfNodeAsync(string nodeId, DateTimeOffset detachedAt, DateTimeOffset deadline, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes every session detached at or before <paramref name="detachedBefore"/> (its lifetime is over), with whatever
    /// its queue and inbox still hold, in one statement set. Returns how many sessions.
    /// </summary>
    Task<int> DeleteEndedSessionsAsync(DateTimeOffset detachedBefore, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes the stored bodies of events no queue or inbox row refers to any more (an event's bytes are stored once,
    /// however many sessions wait for it), set-based, looking at a bounded window of the stored bodies per call (the
    /// next call takes the next window, wrapping around). Returns how many.
    /// </summary>
    Task<int> DeleteUnreferencedEventBodiesAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives free space back to the file system where the store must do it itself (SQLite: part of the file's free pages
    /// per call, once they are a good share of it); nothing where the database does (PostgreSQL's autovacuum). Returns
    /// the bytes released.
    /// </summary>
    Task<long> ReclaimSpaceAsync(CancellationToken cancellationToken = default);

    /// <summary>Updates flag, deadline and owner, if <see cref="SessionRecord.Epoch"/> is still current (batched).</summary>
    Task SaveSessionAsync(SessionRecord session);

    /// <summary>Deletes the session, its queue and inbox, if the epoch is still current (batched).</summary>
    Task DeleteSessionAsync(string sessionId, long epoch);

    /// <summary>
    /// Appends an event to the queue if the epoch is still current (batched). A fenced-out append is not lost:
    /// it goes to the session's inbox instead, for the new owner (and its task completes only once every node was
    /// told to drop its copies of session lists, <see cref="Delivery.ISessionListInvalidation"/>, where the store was
    /// given one: a later publish must not overtake that copy). The task completes when the row is durable, or
    /// earlier when <see cref="RemoveEventAsync"/> for the same event is queued before the append commits: an acked
    /// event needs no durable copy (its tab has it), and the two writes cancel out. <paramref name="firstSentAt"/> is
    /// when the event is first sent to the session's socket, kept with the row and read back as
    /// <see cref="StoredEvent.FirstSentAt"/>; null when it waits for the session's send window (not sent yet), in which
    /// case <see cref="MarkFirstSentAsync"/> records its first send later.
    /// </summary>
    Task AppendEventAsync(string sessionId, long epoch, long sequence, string eventId, byte[] frame, DateTimeOffset? firstSentAt);

    /// <summary>
    /// Moves an inbox event into the queue at <paramref name="sequence"/> if the epoch is current (batched, one transaction),
    /// with <paramref name="firstSentAt"/> as in <see cref="AppendEventAsync"/>.
    /// </summary>
    Task MoveInboxEventAsync(string sessionId, long epoch, long inboxId, long sequence, string eventId, byte[] frame, DateTimeOffset? firstSentAt);

    /// <summary>
    /// Records the first send of a queued event whose row has no first send time yet (it waited for the send window, or
    /// was written without it; batched). A row that already has one keeps it. Where the row's own insert still waits in
    /// the batch being filled, the time goes into that insert instead of a write of its own.
    /// </summary>
    Task MarkFirstSentAsync(string sessionId, string eventId, DateTimeOffset firstSentAt);

    /// <summary>Deletes an inbox event that is already queued (a duplicate; batched).</summary>
    Task DropInboxEventAsync(long inboxId);

    /// <summary>
    /// Drops an event into a session's inbox unless the session needs a full sync anyway (batched). If
    /// <paramref name="wakeNode"/> is set, that node is woken once the write is durable, where the store can
    /// (PostgreSQL: a NOTIFY in the batch's own transaction, one per node per batch); its poll covers the rest.
    /// </summary>
    Task AppendInboxAsync(string sessionId, string eventId, byte[] frame, string? wakeNode = null);

    /// <summary>Removes one acked event (batched; idempotent).</summary>
    Task RemoveEventAsync(string sessionId, string eventId);

    /// <summary>Drops the queue and inbox if the epoch is still current (batched).</summary>
    Task ClearQueueAsync(string sessionId, long epoch);

    /// <summary>Checks that the database answers (readiness).</summary>
    Task PingAsync(CancellationToken cancellationToken = default);
}
