using Orleans.Concurrency;

namespace OrleansSync.Delivery;

/// <summary>
/// One open socket of this process, as the gateway's observer (<see cref="IGatewayObserver"/>, for session grains) and
/// rooms' best-effort sends to anonymous sockets reach it: frames and decisions, never the socket itself. Calls must
/// not block.
/// </summary>
public interface ISessionObserver
{
    /// <summary>Opaque id of the socket (also used by rooms).</summary>
    string SocketId { get; }

    /// <summary>The session is attached; the gateway answers <c>auth_ok</c> before any event that follows.</summary>
    void OnSessionOpened(SessionOpened opened);

    /// <summary>Queues a UTF-8 text frame for the socket. False when the socket's outbound buffer is full.</summary>
    bool TrySend(ReadOnlyMemory<byte> utf8Frame);

    /// <summary>Closes the socket for <paramref name="reason"/>.</summary>
    void Close(SessionCloseReason reason);
}

/// <summary>What <c>auth_ok</c> reports.</summary>
[GenerateSerializer, Immutable, Alias("OrleansSync.SessionOpened")]
public readonly record struct SessionOpened(string SessionId, string UserId, bool NeedFullSync);

/// <summary>Why a grain closes a socket (the gateway maps each to a documented close code).</summary>
[GenerateSerializer, Alias("OrleansSync.SessionCloseReason")]
public enum SessionCloseReason
{
    /// <summary>Another socket resumed the same session.</summary>
    Replaced,

    /// <summary>An event stayed unacked after <see cref="DeliveryOptions.MaxAttempts"/> re-sends; the session is deleted.</summary>
    MaxAttemptsReached,

    /// <summary>The session's queue outgrew <see cref="DeliveryOptions.MaxQueuedPerSession"/>.</summary>
    QueueOverflow,

    /// <summary>
    /// The session's grain died with its silo while the socket stayed open (a separate gateway): the tab resumes, and the
    /// session's next activation replays its queue (1001, like a node that stops).
    /// </summary>
    GrainLost,
}
