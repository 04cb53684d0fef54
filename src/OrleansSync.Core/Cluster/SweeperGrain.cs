using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using OrleansSync.Diagnostics;
using OrleansSync.Storage;

namespace OrleansSync.Cluster;

/// <summary>
/// Runs <see cref="Sweeper"/> on a grain timer while active. The sweep's obligations are durable (a retention window
/// passes whether or not anything runs), so what keeps them met must be too: a reminder, stored with the node's
/// reminders, re-activates this grain after idle collection, a crash or a restart. The reminder only wakes the grain;
/// its period is Orleans' minimum reminder period (<c>Grains:MinimumReminderPeriod</c>), far coarser than the sweep's pace,
/// so the timer does the sweeping and no reminder fires per session or per event.
/// </summary>
public sealed partial class SweeperGrain(Sweeper sweeper, IOptionsMonitor<NodeClusterOptions> cluster, IOptions<ReminderOptions> reminders,
    SyncMetrics metrics, ILogger<SweeperGrain> logger) : Grain, ISweeperGrain, IRemindable
{
    /// <summary>The one sweeper grain's key.</summary>
    public const string Key = "sweeper";

    /// <summary>The reminder's name.</summary>
    public const string KeepAliveReminder = "keep-alive";

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        metrics.GrainActivated(GrainKinds.Sweeper);
        var interval = cluster.CurrentValue.HeartbeatInterval;
        this.RegisterGrainTimer(static (grain, cancellation) => grain.SweepAsync(cancellation), this,
            new GrainTimerCreationOptions { DueTime = interval, Period = interval, KeepAlive = true });
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        metrics.GrainDeactivated(GrainKinds.Sweeper);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StartAsync()
    {
        var period = reminders.Value.MinimumReminderPeriod;
        await this.RegisterOrUpdateReminder(KeepAliveReminder, period, period);
    }

    /// <inheritdoc />
    public Task WakeAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask; // being active is the point

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        try
        {
            await sweeper.SweepOnceAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // deactivating
        }
        catch (StoreUnavailableException unavailable)
        {
            Log.SweepSkipped(logger, unavailable.Message); // the store's health logs the episode once
        }
        catch (Exception exception)
        {
            Log.SweepFailed(logger, exception);
        }
    }
}
