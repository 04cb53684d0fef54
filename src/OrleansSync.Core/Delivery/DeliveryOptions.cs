namespace OrleansSync.Delivery;

/// <summary>Reliable delivery timings and bounds (configuration section <c>Delivery</c>).</summary>
public sealed class DeliveryOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Delivery";

    /// <summary>A pending event whose last send is at least this old is re-sent while the socket is open. Default 3 s.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Re-sends of one event without an ack before the socket is closed and the session deleted. Default 40. A detach,
    /// resume or restart does not start it over: an event first sent by an earlier attachment gives up at its stored
    /// first send + (MaxAttempts + 1) × <see cref="RetryInterval"/>.
    /// </summary>
    public int MaxAttempts { get; set; } = 40;

    /// <summary>How long queued events are kept after the socket is lost. Default 2 minutes.</summary>
    public TimeSpan RetentionWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Queue bound per session; past it the queue is dropped and <c>need_full_sync</c> set. Default 1000.</summary>
    public int MaxQueuedPerSession { get; set; } = 1000;

    /// <summary>
    /// Events a session has sent and not had acked yet, at most (its send window). Later events, a replay's tail and
    /// inbox moves wait queued (durably, as always) and go out as acks free the window, so a session never pushes more
    /// into its socket than an honest tab can answer. Keep it well below <c>Gateway:OutboundBufferFrames</c> (the
    /// socket's buffer also holds re-sends and control frames). Default 64.
    /// </summary>
    public int SendWindow { get; set; } = 64;

    /// <summary>
    /// Sessions one user may have. Creating one more deletes the user's oldest first: detached sessions by the time they
    /// detached, then attached ones by creation (their sockets are closed as sessions taken over, 4002). Default 100.
    /// </summary>
    public int MaxSessionsPerUser { get; set; } = 100;

    /// <summary>
    /// How long a detached session's row is kept after it detached (its id can still be resumed, with
    /// <c>need_full_sync</c> once the retention window has passed); then the session is deleted, and a resume with its
    /// id gets a new session. Must exceed <see cref="RetentionWindow"/>. Default 7 days.
    /// </summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Whether an attached session with nothing to send or re-send parks: its grain leaves memory while its socket stays
    /// open, and comes back (without a store read) at the session's next event, ack or close. Applies on a SQLite node
    /// (a silo alone in its cluster); on PostgreSQL sessions never park. Default true.
    /// </summary>
    public bool ParkIdleSessions { get; set; } = true;

    /// <summary>Throws if a value cannot work.</summary>
    public void Validate()
    {
        if (RetryInterval <= TimeSpan.Zero) throw new InvalidOperationException("Delivery:RetryInterval must be positive.");
        if (MaxAttempts < 1) throw new InvalidOperationException("Delivery:MaxAttempts must be at least 1.");
        if (RetentionWindow < TimeSpan.Zero) throw new InvalidOperationException("Delivery:RetentionWindow must not be negative.");
        if (MaxQueuedPerSession < 1) throw new InvalidOperationException("Delivery:MaxQueuedPerSession must be at least 1.");
        if (SendWindow < 1) throw new InvalidOperationException("Delivery:SendWindow must be at least 1.");
        if (MaxSessionsPerUser < 1) throw new InvalidOperationException("Delivery:MaxSessionsPerUser must be at least 1.");
        if (SessionLifetime <= RetentionWindow)
        {
            throw new InvalidOperationException(
                $"Delivery:SessionLifetime ({SessionLifetime}) must be longer than Delivery:RetentionWindow ({RetentionWindow}): a session is kept at least until its queue expires.");
        }
    }
}
