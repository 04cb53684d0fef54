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

        [LoggerMessage(8, LogLevel.Debug, "The sweeper could not be woken (its silo is leaving the cluster?); the next heartbeat tries again: {Reason}")]
        public static partial void SweeperNotWoken(ILogger logger, string reason);

        [LoggerMessage(9, LogLevel.Information, "Session {SessionId} lost its grain (its silo died) while its socket here stayed open: the socket is closed (1001) so the tab resumes.")]
        public static partial void OrphanedSocketClosed(ILogger logger, string sessionId);

        [LoggerMessage(10, LogLevel.Information, "Orleans declared a silo dead: the {Sockets} attached sockets here are checked for a grain lost with it.")]
        public static partial void SiloDeathSocketsChecked(ILogger logger, int sockets);

        [LoggerMessage(11, LogLevel.Information, "Released {Released} sessions the store said this node owned while no socket here held them, at two ownership checks in a row " +
            "(their grain could not release them: it died with its silo, or the detach failed); their retention clocks run. {Claimed} others were claimed meanwhile.")]
        public static partial void StrandedSessionsReleased(ILogger logger, int released, int claimed);

        [LoggerMessage(12, LogLevel.Warning, "This node's heartbeat could not be written; retrying each heartbeat interval (other nodes clean up after a node silent for Cluster:NodeTimeout).")]
        public static partial void HeartbeatFailed(ILogger logger, Exception exception);

        [LoggerMessage(13, LogLevel.Debug, "This node's heartbeat failed again: {Reason}")]
        public static partial void HeartbeatFailedAgain(ILogger logger, string reason);

        [LoggerMessage(2, LogLevel.Warning, "Handling wake-ups failed; the next poll covers them.")]
        public static partial void WakeupFailed(ILogger logger, Exception exception);
    }
}
