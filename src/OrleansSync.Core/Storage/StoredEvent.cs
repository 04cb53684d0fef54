namespace OrleansSync.Storage;

/// <summary>A queued, unacked event of one session, as stored.</summary>
/// <param name="Sequence">Position in the session's queue (publish order).</param>
/// <param name="EventId">The event's id, shared by every session that received it.</param>
/// <param name="Frame">The exact UTF-8 frame that is sent (and re-sent) to the socket.</param>
/// <param name="FirstSentAt">
/// When the event was first sent to a socket of this session (written with the row, which is written at that send);
/// the attempt budget runs from it. Null for rows written before the column existed.
/// </param>
public sealed record StoredEvent(long Sequence, string EventId, byte[] Frame, DateTimeOffset? FirstSentAt);
