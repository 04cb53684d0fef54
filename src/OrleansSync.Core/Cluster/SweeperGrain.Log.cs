using Microsoft.Extensions.Logging;

namespace OrleansSync.Cluster;

public sealed partial class SweeperGrain
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Sweep failed; retrying at the next interval.")]
        public static partial void SweepFailed(ILogger logger, Exception exception);

        [LoggerMessage(2, LogLevel.Debug, "Sweep skipped, the store cannot write: {Reason}")]
        public static partial void SweepSkipped(ILogger logger, string reason);
    }
}
