using Microsoft.Extensions.Hosting;
using OrleansSync.Cluster;
using OrleansSync.Diagnostics;

namespace OrleansSync.Gateway.Ops.Dashboard;

/// <summary>
/// Assembles <see cref="DashboardStats"/> from the gauges, a fresh collection, the sampler's history, the node table,
/// Orleans' membership, rooms and logs.
/// </summary>
public sealed class DashboardStatsBuilder(SyncMetrics metrics, DashboardMetricsReader? reader, DashboardSampler? sampler,
    IRoomStats rooms, INodeStore nodes, OrleansMembershipReader silos, NodeRoles roles, RecentLogBuffer logs, IHostEnvironment environment,
    TimeProvider time)
{
    private const int LatencyWindowSamples = 5;
    private readonly DateTimeOffset _startedAt = time.GetUtcNow();

    /// <summary>Builds the figures now: this node's from memory, the cluster's from the store (nodes, rooms) and Orleans (silos).</summary>
    public async Task<DashboardStats> BuildAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var gauges = metrics.ReadGauges();
        var node = new NodeSummary(metrics.NodeId, roles.Describe().Split(','), environment.EnvironmentName, _startedAt, (now - _startedAt).TotalSeconds);
        var cluster = (await nodes.LoadNodesAsync(cancellationToken)).Select(n => n.NodeId == node.Id ? node
            : new NodeSummary(n.NodeId, n.Roles.Split(','), "", n.StartedAt, (now - n.StartedAt).TotalSeconds)).ToList();
        if (!cluster.Any(n => n.Id == node.Id))
        {
            cluster.Insert(0, node);
        }
        var membership = await silos.ReadAsync(cancellationToken);
        var busiest = await rooms.BusiestRoomsAsync(10, cancellationToken);
        var instruments = reader?.Collect() ?? [];
        double Total(string name) => instruments.FirstOrDefault(i => i.Name == name)?.Total ?? 0;

        var rejected = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var series in instruments.FirstOrDefault(i => i.Name == SyncMetrics.Names.FramesRejected)?.Series ?? [])
        {
            var reason = series.Labels.FirstOrDefault(l => l.Key == "reason").Value ?? "";
            rejected[reason] = rejected.GetValueOrDefault(reason) + (long)series.Value;
        }
        var totals = new DeliveryTotals(Total(SyncMetrics.Names.EventsSent), Total(SyncMetrics.Names.EventsResent),
            Total(SyncMetrics.Names.EventsAcked), Total(SyncMetrics.Names.SessionsExpired), Total(SyncMetrics.Names.SessionsMaxAttempts),
            Total(SyncMetrics.Names.FullSyncFlagged), rejected.Values.Sum());

        var current = DashboardSample.From(instruments, time);
        var latency = new LatencyFigures(current.LatencyBuckets.Sum(),
            Milliseconds(HistogramMath.Percentile(current.LatencyBounds, current.LatencyBuckets, 0.50)),
            Milliseconds(HistogramMath.Percentile(current.LatencyBounds, current.LatencyBuckets, 0.95)),
            Milliseconds(HistogramMath.Percentile(current.LatencyBounds, current.LatencyBuckets, 0.99)));

        var samples = sampler?.Samples() ?? [];
        var history = new List<HistoryPoint>(samples.Count);
        for (var i = 1; i < samples.Count; i++)
        {
            var (previous, sample) = (samples[i - 1], samples[i]);
            var seconds = Math.Max(0.001, (sample.At - previous.At).TotalSeconds);
            var window = HistogramMath.Delta(sample.LatencyBuckets, samples[Math.Max(0, i - LatencyWindowSamples)].LatencyBuckets);
            history.Add(new HistoryPoint(sample.At.ToUnixTimeMilliseconds(),
                (sample.Sends - previous.Sends) / seconds, (sample.Resends - previous.Resends) / seconds, (sample.Acks - previous.Acks) / seconds,
                Milliseconds(HistogramMath.Percentile(sample.LatencyBounds, window, 0.50)),
                Milliseconds(HistogramMath.Percentile(sample.LatencyBounds, window, 0.95)),
                Milliseconds(HistogramMath.Percentile(sample.LatencyBounds, window, 0.99))));
        }
        var rates = new DeliveryRates(0, 0, 0, 0);
        if (samples.Count >= 2)
        {
            var (previous, last) = (samples[^2], samples[^1]);
            var seconds = Math.Max(0.001, (last.At - previous.At).TotalSeconds);
            rates = new DeliveryRates((last.Sends - previous.Sends) / seconds, (last.Resends - previous.Resends) / seconds,
                (last.Acks - previous.Acks) / seconds, (last.Expiries - previous.Expiries) / seconds);
        }

        var batches = instruments.FirstOrDefault(i => i.Name == SyncMetrics.Names.StoreBatchSize);
        var commits = instruments.FirstOrDefault(i => i.Name == SyncMetrics.Names.StoreCommitDuration);
        long batchCount = batches?.Series.Sum(s => s.Count) ?? 0;
        var commitBuckets = SumBuckets(commits);
        var store = new StoreFigures(batchCount, batchCount == 0 ? 0 : batches!.Series.Sum(s => s.Value) / batchCount,
            commits is null ? null : Milliseconds(HistogramMath.Percentile(commits.Bounds, commitBuckets, 0.99)));

        return new DashboardStats(now, node, cluster, membership, metrics.Enabled,
            new ConnectionFigures(gauges.OpenSockets, gauges.AttachedSessions),
            new QueueFigures(gauges.QueuedEvents, gauges.OldestQueuedAge.TotalSeconds),
            gauges.ActiveGrains.ToDictionary(g => g.Key, g => g.Value),
            totals, rates, latency, history, rejected, store,
            busiest.Select(r => new RoomRow(r.ChurchId, r.ConversationId, r.Viewers)).ToArray(),
            logs.Newest(20).Select(e => new LogRow(e.At, e.Level.ToString(), e.Category, e.Message)).ToArray());
    }

    private static long[] SumBuckets(InstrumentSnapshot? histogram)
    {
        var sum = new long[(histogram?.Bounds.Count ?? 0) + 1];
        foreach (var series in histogram?.Series ?? [])
        {
            for (var i = 0; i < sum.Length && i < (series.BucketCounts?.Length ?? 0); i++)
            {
                sum[i] += series.BucketCounts![i];
            }
        }
        return sum;
    }

    private static double? Milliseconds(double? seconds) => seconds is { } s ? Math.Round(s * 1000, 3) : null;
}
