using Microsoft.Extensions.Logging;

namespace OrleansSync.Gateway.Sockets;

public sealed partial class SocketConnection
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Socket {SocketId} lost: {Reason}")]
        public static partial void SocketLost(ILogger logger, string socketId, string reason);

        [LoggerMessage(2, LogLevel.Information, "Socket {SocketId}: frame rejected ({Reason}).")]
        public static partial void FrameRejected(ILogger logger, string socketId, string reason);

        [LoggerMessage(3, LogLevel.Information, "Socket {SocketId}: auth refused ({Reason}).")]
        public static partial void AuthFailed(ILogger logger, string socketId, string reason);

        [LoggerMessage(4, LogLevel.Error, "Socket {SocketId}: detaching session {SessionId} failed.")]
        public static partial void DetachFailed(ILogger logger, string socketId, string sessionId, Exception exception);

        [LoggerMessage(5, LogLevel.Error, "Socket {SocketId}: sending failed unexpectedly; the socket closes.")]
        public static partial void SendFailed(ILogger logger, string socketId, Exception exception);

        [LoggerMessage(6, LogLevel.Warning, "Socket {SocketId}: the store did not register it; other nodes will refuse room calls for it.")]
        public static partial void RegistrationFailed(ILogger logger, string socketId, Exception exception);

        [LoggerMessage(8, LogLevel.Debug, "Socket {SocketId}: session not opened, the store cannot write ({Reason}); closing with 1013.")]
        public static partial void SessionUnavailable(ILogger logger, string socketId, string reason);

        [LoggerMessage(9, LogLevel.Error, "Socket {SocketId}: opening the session failed; closing with 1013.")]
        public static partial void SessionOpenFailed(ILogger logger, string socketId, Exception exception);

        [LoggerMessage(10, LogLevel.Debug, "Socket {SocketId}: the store did not register it ({Reason}).")]
        public static partial void RegistrationRefused(ILogger logger, string socketId, string reason);

        [LoggerMessage(7, LogLevel.Warning, "Socket {SocketId} reads too slowly (outbound buffer full); closing it, session {SessionId} keeps its queue for replay.")]
        public static partial void SlowConsumer(ILogger logger, string socketId, string? sessionId);

        [LoggerMessage(11, LogLevel.Warning, "Socket {SocketId}: an ack read after the close did not reach session {SessionId}; the event stays queued.")]
        public static partial void LateAckFailed(ILogger logger, string socketId, string sessionId, Exception exception);
    }
}
