using Microsoft.Extensions.Logging;

namespace OrleansSync.Cluster;

public sealed partial class NodeMaintenance
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Node maintenance round failed; retrying at each heartbeat (further failures in a row are logged at debug level).")]
        public static partial void RoundFailed(ILogger logger, Exception exception);

        [LoggerMessage(6, LogLevel.Debug, "Node maintenance round failed again: {Reason}")]
        public static partial void RoundFailedAgain(ILogger logger, string reason);

        [LoggerMessage(7, LogLevel.Information, "Node maintenance rounds succeed again after {Failed} failed rounds.")]
        public static partial void RoundsRecovered(ILogger logger, long failed);

        [LoggerMessage(2, LogLevel.Information, "Retention window passed for {Count} sessions; their queues were dropped and need_full_sync set.")]
        public static partial void Expired(ILogger logger, int count);

        [LoggerMessage(3, LogLevel.Warning, "Node {NodeId} stopped heartbeating; cleaning up after it.")]
        public static partial void NodeDead(ILogger logger, string nodeId);

        [LoggerMessage(4, LogLevel.Information, "Node {NodeId}: released {Sessions} sessions and removed its viewers from {Rooms} rooms.")]
        public static partial void NodeForgotten(ILogger logger, string nodeId, int sessions, int rooms);

        [LoggerMessage(5, LogLevel.Warning, "Handling wake-ups failed; the next poll covers them.")]
        public static partial void WakeupFailed(ILogger logger, Exception exception);
    }
}
