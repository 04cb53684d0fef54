using Microsoft.Extensions.Logging;

namespace OrleansSync.Gateway.Ops.Dashboard;

public sealed partial class DashboardKeyAttempts
{
    private static partial class Log
    {
        // Debug: a guesser must not be able to flood the log or the dashboard's recent errors.
        [LoggerMessage(1, LogLevel.Debug, "Admin key attempt from {Client} refused with 429: over {Attempts} per {Window}.")]
        public static partial void TooManyAttempts(ILogger logger, string client, int attempts, TimeSpan window);
    }
}
