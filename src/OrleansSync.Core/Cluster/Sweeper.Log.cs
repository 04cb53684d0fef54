using Microsoft.Extensions.Logging;

namespace OrleansSync.Cluster;

public sealed partial class Sweeper
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Retention window passed for {Count} sessions; their queues were dropped and need_full_sync set.")]
        public static partial void Expired(ILogger logger, int count);

        [LoggerMessage(2, LogLevel.Warning, "Node {NodeId} stopped heartbeating; cleaning up after it.")]
        public static partial void NodeDead(ILogger logger, string nodeId);

        [LoggerMessage(3, LogLevel.Information, "Node {NodeId}: released {Sessions} sessions and removed its viewers from {Rooms} rooms.")]
        public static partial void NodeForgotten(ILogger logger, string nodeId, int sessions, int rooms);

        [LoggerMessage(4, LogLevel.Information, "Deleted {Count} sessions detached longer than Delivery:SessionLifetime ({Lifetime}).")]
        public static partial void SessionsEnded(ILogger logger, int count, TimeSpan lifetime);

        [LoggerMessage(5, LogLevel.Debug, "Gave {Bytes} bytes of free store file space back to the file system.")]
        public static partial void SpaceReclaimed(ILogger logger, long bytes);
    }
}
