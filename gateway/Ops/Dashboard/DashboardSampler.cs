using Microsoft.Extensions.Hosting;
using OrleansSync.Diagnostics;

namespace OrleansSync.Gateway.Ops.Dashboard;

/// <summary>
/// Takes a snapshot of the delivery counters and the ack latency buckets once a second and keeps the last minute,
/// from which the dashboard draws rates and latency percentiles over time.
/// </summary>
public sealed class DashboardSampler(DashboardMetricsReader? reader, TimeProvider time) : BackgroundService
{
    /// <summary>Samples kept (one a second: a minute of history).</summary>
    public const int Keep = 61;

    private readonly Queue<DashboardSample> _samples = new(Keep + 1);
    private readonly object _gate = new();

    /// <summary>The samples, oldest first.</summary>
    public IReadOnlyList<DashboardSample> Samples()
    {
        lock (_gate)
        {
            return _samples.ToArray();
        }
    }

    /// <summary>Takes one sample now (nothing when metrics are disabled).</summary>
    public void SampleNow()
    {
        if (reader is null)
        {
            return;
        }
        var sample = DashboardSample.From(reader.Collect(), time);
        lock (_gate)
        {
            _samples.Enqueue(sample);
            while (_samples.Count > Keep)
            {
                _samples.Dequeue();
            }
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (reader is null)
        {
            return;
        }
        SampleNow();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                SampleNow();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping.
        }
    }
}

/// <summary>Cumulative figures at one moment.</summary>
/// <param name="At">When.</param>
/// <param name="Sends">Events sent so far.</param>
/// <param name="Resends">Re-sends so far.</param>
/// <param name="Acks">Acks so far.</param>
/// <param name="Expiries">Retention expiries so far.</param>
/// <param name="LatencyBounds">Bucket bounds of the ack latency (seconds).</param>
/// <param name="LatencyBuckets">Ack latency counts per bucket so far (the last for +Inf).</param>
public sealed record DashboardSample(DateTimeOffset At, double Sends, double Resends, double Acks, double Expiries,
    IReadOnlyList<double> LatencyBounds, long[] LatencyBuckets)
{
    /// <summary>Extracts a sample from a collection.</summary>
    public static DashboardSample From(IReadOnlyList<InstrumentSnapshot> instruments, TimeProvider time)
    {
        double Total(string name) => instruments.FirstOrDefault(i => i.Name == name)?.Total ?? 0;
        var latency = instruments.FirstOrDefault(i => i.Name == SyncMetrics.Names.AckLatency);
        var bounds = latency?.Bounds ?? [];
        var buckets = new long[bounds.Count + 1];
        foreach (var series in latency?.Series ?? [])
        {
            for (var i = 0; i < buckets.Length && i < (series.BucketCounts?.Length ?? 0); i++)
            {
                buckets[i] += series.BucketCounts![i];
            }
        }
        return new DashboardSample(time.GetUtcNow(), Total(SyncMetrics.Names.EventsSent), Total(SyncMetrics.Names.EventsResent),
            Total(SyncMetrics.Names.EventsAcked), Total(SyncMetrics.Names.SessionsExpired), bounds, buckets);
    }
}
