namespace OrleansSync.Storage;

/// <summary>
/// Durable state of sessions and their queues. Reads go straight to the database; writes are
/// queued and committed in batches (group commit): the returned task completes when the write is durable.
/// Writes issued in some order are applied in that order.
/// </summary>
public interface ISessionStore
{
    /// <summary>The session row, or null if it does not exist.</summary>
    Task<SessionRecord?> LoadSessionAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>The session's queued events in publish order.</summary>
    Task<IReadOnlyList<StoredEvent>> LoadQueueAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>Ids of every session of the user.</summary>
    Task<IReadOnlyList<string>> LoadUserSessionIdsAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Sessions whose retention deadline has passed (the sweeper expires them through their grains).</summary>
    Task<IReadOnlyList<string>> FindExpiredSessionsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// At start: sessions that still look attached lost their socket when the previous process stopped;
    /// their retention clock starts now and ends at <paramref name="deadline"/>.
    /// </summary>
    Task StartRetentionForOrphansAsync(DateTimeOffset deadline, CancellationToken cancellationToken = default);

    /// <summary>Inserts or updates the session row.</summary>
    Task SaveSessionAsync(SessionRecord session);

    /// <summary>Deletes the session and its queue.</summary>
    Task DeleteSessionAsync(string sessionId);

    /// <summary>Appends an event to the session's queue.</summary>
    Task AppendEventAsync(string sessionId, long sequence, string eventId, byte[] frame);

    /// <summary>Removes one acked event.</summary>
    Task RemoveEventAsync(string sessionId, long sequence);

    /// <summary>Drops the whole queue of a session.</summary>
    Task ClearQueueAsync(string sessionId);

    /// <summary>Checks that the database answers (readiness).</summary>
    Task PingAsync(CancellationToken cancellationToken = default);
}
