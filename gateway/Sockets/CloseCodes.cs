using System.Net.WebSockets;
using OrleansSync.Delivery;

namespace OrleansSync.Gateway.Sockets;

/// <summary>The WebSocket close codes this gateway uses (documented in docs/PROTOCOL.md).</summary>
public static class CloseCodes
{
    /// <summary>Binary frame received (1003).</summary>
    public const WebSocketCloseStatus BinaryFrame = WebSocketCloseStatus.InvalidMessageType;

    /// <summary>Too many frames per second (1008).</summary>
    public const WebSocketCloseStatus Flood = WebSocketCloseStatus.PolicyViolation;

    /// <summary>Inbound message larger than <see cref="SocketGatewayOptions.MaxFrameBytes"/> (1009).</summary>
    public const WebSocketCloseStatus TooBig = WebSocketCloseStatus.MessageTooBig;

    /// <summary><c>auth</c> refused: bad, expired or unsigned token (4001).</summary>
    public const int AuthFailed = 4001;

    /// <summary>Another socket resumed this session (4002).</summary>
    public const int SessionReplaced = 4002;

    /// <summary>An event stayed unacked through every re-send; the session was deleted (4003).</summary>
    public const int MaxAttempts = 4003;

    /// <summary>The socket read too slowly; its session keeps its queue for replay (4004).</summary>
    public const int SlowConsumer = 4004;

    /// <summary>The session's queue overflowed; the next <c>auth_ok</c> says <c>need_full_sync</c> (4005).</summary>
    public const int QueueOverflow = 4005;

    /// <summary>The code and reason for a grain's decision.</summary>
    public static (WebSocketCloseStatus Code, string Reason) For(SessionCloseReason reason) => reason switch
    {
        SessionCloseReason.Replaced => ((WebSocketCloseStatus)SessionReplaced, "session_replaced"),
        SessionCloseReason.MaxAttemptsReached => ((WebSocketCloseStatus)MaxAttempts, "max_attempts"),
        SessionCloseReason.SlowConsumer => ((WebSocketCloseStatus)SlowConsumer, "slow_consumer"),
        SessionCloseReason.QueueOverflow => ((WebSocketCloseStatus)QueueOverflow, "queue_overflow"),
        _ => (WebSocketCloseStatus.NormalClosure, "closed"),
    };
}
