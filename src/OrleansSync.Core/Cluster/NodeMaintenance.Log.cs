using Microsoft.Extensions.Logging;

namespace OrleansSync.Cluster;

public sealed partial class NodeMaintenance
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Node maintenance round failed; retrying at the next heartbeat.")]
        public static partial void RoundFailed(ILogger logger, Exception exception);

        [LoggerMessage(2, LogLevel.Warning, "Handling wake-ups failed; the next poll covers them.")]
        public static partial void WakeupFailed(ILogger logger, Exception exception);
    }
}
