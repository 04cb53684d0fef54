using Microsoft.Extensions.Logging;

namespace OrleansSync.Gateway.Ops;

/// <summary>
/// Logger provider that copies warnings and errors (and, through a filter rule, the gateway's rejected-frame
/// lines) into the <see cref="RecentLogBuffer"/> that the dashboard shows. Its level rules are set in
/// <see cref="OpsHosting"/>, independent of the console's.
/// </summary>
[ProviderAlias("Dashboard")]
public sealed class RecentLogLoggerProvider(RecentLogBuffer buffer, TimeProvider time) : ILoggerProvider
{
    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName)
    {
        var dot = categoryName.LastIndexOf('.');
        return new RecentLogLogger(buffer, time, dot >= 0 ? categoryName[(dot + 1)..] : categoryName);
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class RecentLogLogger(RecentLogBuffer buffer, TimeProvider time, string category) : ILogger
    {
        private const int MaxMessageLength = 500;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel is >= LogLevel.Information and < LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }
            var message = formatter(state, exception);
            if (exception is not null)
            {
                message += $" ({exception.GetType().Name}: {exception.Message})";
            }
            if (message.Length > MaxMessageLength)
            {
                message = message[..MaxMessageLength] + "…";
            }
            buffer.Add(new RecentLogEntry(time.GetUtcNow(), logLevel, category, message));
        }
    }
}
