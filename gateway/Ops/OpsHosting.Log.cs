using Microsoft.Extensions.Logging;

namespace OrleansSync.Gateway.Ops;

public static partial class OpsHosting
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Dashboard disabled: Admin:Key is not configured, and it is required outside Development " +
            "(environment {Environment}). Set Admin:Key (or Admin__Key) to serve /dashboard; /metrics, /healthz and /readyz stay open.")]
        public static partial void DashboardDisabled(ILogger logger, string environment);

        [LoggerMessage(2, LogLevel.Information, "Dashboard at /dashboard: {Access}.")]
        public static partial void DashboardEnabled(ILogger logger, string access);

        [LoggerMessage(3, LogLevel.Information, "Node {NodeId}: metrics {State}.")]
        public static partial void MetricsState(ILogger logger, string nodeId, string state);
    }
}
