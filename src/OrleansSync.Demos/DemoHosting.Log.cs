using Microsoft.Extensions.Logging;

namespace OrleansSync.Demos;

public static partial class DemoHosting
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Demo pages off (environment {Environment}, Demos:Enabled {Setting}); Demos:Enabled=true (or Demos__Enabled) serves /demo.")]
        public static partial void DemosOff(ILogger logger, string environment, string setting);

        [LoggerMessage(2, LogLevel.Information, "Demo pages at /demo/photos and /demo/chat (Demos:Enabled=false removes them).")]
        public static partial void DemosOn(ILogger logger);
    }
}
