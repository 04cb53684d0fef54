namespace OrleansSync.Delivery;

/// <summary>An event queued for one session and not acked yet.</summary>
internal sealed class PendingEvent(long sequence, string eventId, byte[] frame)
{
    public long Sequence { get; } = sequence;
    public string EventId { get; } = eventId;

    /// <summary>The exact bytes sent every time, so re-sends are identical frames.</summary>
    public byte[] Frame { get; } = frame;

    /// <summary>When this attachment last handed it to the socket; null until it does (it waits for the send window).</summary>
    public DateTimeOffset? LastSentAt { get; set; }

    /// <summary>
    /// When it was first written to a socket of this session, from any node or activation: stored with its queue row
    /// (written with the row, or marked at a later first send), so the attempt budget survives resumes and restarts.
    /// Null until its first send (it waits for the send window; or a row of an older version).
    /// </summary>
    public DateTimeOffset? FirstSentAt { get; set; }

    /// <summary>True if an earlier attachment made the first send (loaded with its stored <see cref="FirstSentAt"/>).</summary>
    public bool FirstSentEarlier { get; init; }

    /// <summary>Re-sends by this attachment (the first send is not one): the budget of an event it sent first.</summary>
    public int Resends { get; set; }

    /// <summary>When it was queued in this activation (a metrics timestamp; 0 when metrics are off).</summary>
    public long EnqueuedTimestamp { get; init; }

    /// <summary>When it was first written to a socket of this session (a metrics timestamp; 0: not yet, or metrics off).</summary>
    public long FirstSentTimestamp { get; set; }
}
