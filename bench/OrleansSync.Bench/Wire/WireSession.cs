namespace OrleansSync.Bench.Wire;

/// <summary>
/// One client's side of a target's wire protocol: where it connects, how it authenticates, and what it answers to
/// each message it receives (the ack of every bench event, pongs, protocol acks). Everything else (the socket, the
/// receive loop, counting and latency) is <see cref="AckingClient"/>'s and the same for every target, so the load
/// generator's cost per delivery differs between targets only by what their protocols make a client do.
/// </summary>
public abstract class WireSession
{
    /// <summary>The WebSocket address to open (a protocol may first negotiate over HTTP, as SignalR does).</summary>
    public abstract Task<Uri> AddressAsync(Uri baseAddress, string token, CancellationToken cancellationToken);

    /// <summary>Authenticates on the open socket; returns when the server will deliver this client's events, throws if refused.</summary>
    public abstract Task HandshakeAsync(IMessageChannel channel, string token, CancellationToken cancellationToken);

    /// <summary>
    /// Whether a new socket can take this client's session over (the node's <c>session_id</c>), so the client reconnects
    /// after a close as a tab does; the peers' clients never reconnect.
    /// </summary>
    public virtual bool CanResume => false;

    /// <summary>After a handshake that resumed: the server said the session lost events (<c>need_full_sync</c>, or a new session).</summary>
    public bool ResumeNeedsFullSync { get; protected set; }

    /// <summary>Appends to <paramref name="reply"/> what the client answers to <paramref name="message"/>, and lists its bench events.</summary>
    public abstract void OnMessage(ReadOnlySpan<byte> message, ReplyBuffer reply, List<ReceivedEvent> events);

    /// <summary>
    /// If <paramref name="record"/> is a bench event, appends its ack (<paramref name="ackPrefix"/> + event id +
    /// <paramref name="ackSuffix"/>) and lists it. The one event path of every protocol.
    /// </summary>
    protected static bool TryAck(ReadOnlySpan<byte> record, ReadOnlySpan<byte> ackPrefix, ReadOnlySpan<byte> ackSuffix, ReplyBuffer reply, List<ReceivedEvent> events)
    {
        if (!EventFrameReader.TryRead(record, out var seq, out var sent, out var eventId))
        {
            return false;
        }
        reply.Append(ackPrefix);
        reply.Append(eventId);
        reply.Append(ackSuffix);
        events.Add(new ReceivedEvent(seq, sent, EventFrameReader.HashEventId(eventId)));
        return true;
    }
}
