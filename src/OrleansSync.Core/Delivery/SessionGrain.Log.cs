using Microsoft.Extensions.Logging;

namespace OrleansSync.Delivery;

public sealed partial class SessionGrain
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Session {SessionId} of {UserId} attached to socket {SocketId} (need_full_sync={NeedFullSync}, {Queued} queued).")]
        public static partial void SessionAttached(ILogger logger, string sessionId, string userId, string socketId, bool needFullSync, int queued);

        [LoggerMessage(2, LogLevel.Information, "Session {SessionId} moved from socket {OldSocketId} to {NewSocketId}; the old socket is closed.")]
        public static partial void SessionReplaced(ILogger logger, string sessionId, string oldSocketId, string newSocketId);

        [LoggerMessage(3, LogLevel.Warning,
            "Session {SessionId}: event {EventId} unacked {SinceFirstSend} after its first send ({Resends} re-sends by this attachment); closing the socket and deleting the session.")]
        public static partial void MaxAttemptsReached(ILogger logger, string sessionId, string eventId, TimeSpan sinceFirstSend, int resends);

        [LoggerMessage(5, LogLevel.Information, "Session {SessionId}: retention window passed; dropping {Queued} queued events, need_full_sync set.")]
        public static partial void RetentionExpired(ILogger logger, string sessionId, int queued);

        [LoggerMessage(6, LogLevel.Warning, "Session {SessionId}: queue reached {Queued} events; dropping it, need_full_sync set.")]
        public static partial void QueueOverflow(ILogger logger, string sessionId, int queued);

        [LoggerMessage(7, LogLevel.Information, "Session {SessionId} is owned by another node now; closing its socket here.")]
        public static partial void OwnershipLost(ILogger logger, string sessionId);

        [LoggerMessage(8, LogLevel.Information,
            "User {UserId} went over Delivery:MaxSessionsPerUser ({Limit}): deleted {Count} of the user's oldest sessions ({Attached} attached, their sockets are closed).")]
        public static partial void SessionsOverLimitRemoved(ILogger logger, string userId, int count, int attached, int limit);

        [LoggerMessage(20, LogLevel.Trace, "Session {SessionId} parked: idle, its grain leaves memory while its socket stays open.")]
        public static partial void SessionParked(ILogger logger, string sessionId);
    }
}
