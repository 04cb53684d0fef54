using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSync.Runtime;
using OrleansSync.Storage;

namespace OrleansSync.Delivery;

/// <summary>
/// Frees the queues of sessions whose retention window passed while nobody resumed them.
/// Correctness does not depend on it (a resume checks the deadline itself); it keeps storage bounded.
/// Expiry goes through each session's grain so that it never races a resume.
/// </summary>
public sealed partial class RetentionSweeper(ISessionStore store, GrainFactory grains, IOptionsMonitor<DeliveryOptions> options,
    TimeProvider time, ILogger<RetentionSweeper> logger) : BackgroundService
{
    private const int BatchSize = 500;

    /// <summary>Runs one sweep; returns how many sessions were examined.</summary>
    public async Task<int> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var expired = await store.FindExpiredSessionsAsync(time.GetUtcNow(), BatchSize, cancellationToken).ConfigureAwait(false);
        foreach (var sessionId in expired)
        {
            await grains.Sessions.CallAsync(sessionId, static async session =>
            {
                await session.ExpireIfDueAsync().ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);
        }
        return expired.Count;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.CurrentValue.SweepInterval, time, stoppingToken).ConfigureAwait(false);
                var swept = await SweepOnceAsync(stoppingToken).ConfigureAwait(false);
                if (swept > 0)
                {
                    Log.Swept(logger, swept);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                Log.SweepFailed(logger, exception);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Retention sweep expired {Count} sessions.")]
        public static partial void Swept(ILogger logger, int count);

        [LoggerMessage(2, LogLevel.Error, "Retention sweep failed; retrying at the next interval.")]
        public static partial void SweepFailed(ILogger logger, Exception exception);
    }
}
