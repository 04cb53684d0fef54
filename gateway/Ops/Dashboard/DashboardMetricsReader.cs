using System.Globalization;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OrleansSync.Diagnostics;

namespace OrleansSync.Gateway.Ops.Dashboard;

/// <summary>
/// The dashboard's reader of the node's OpenTelemetry meter provider: a second reader next to the Prometheus
/// exporter, collected on demand, that hands the node's own instruments over as <see cref="InstrumentSnapshot"/>s.
/// The provider does the aggregating; this only copies its cumulative figures out.
/// </summary>
public sealed class DashboardMetricsReader
{
    private readonly SnapshotExporter _exporter = new();
    private readonly object _gate = new();

    /// <summary>Creates the reader; <see cref="Reader"/> must be added to the meter provider.</summary>
    public DashboardMetricsReader() => Reader = new BaseExportingMetricReader(_exporter);

    /// <summary>The reader to add to the meter provider (pull only: it exports when <see cref="Collect"/> asks).</summary>
    public MetricReader Reader { get; }

    /// <summary>Reads the instruments of meter <see cref="SyncMetrics.MeterName"/> now (observable ones are called).</summary>
    public IReadOnlyList<InstrumentSnapshot> Collect()
    {
        // One collection at a time: the exporter hands its result over through a field.
        lock (_gate)
        {
            _exporter.Latest = [];
            Reader.Collect();
            return _exporter.Latest;
        }
    }

    private sealed class SnapshotExporter : BaseExporter<Metric>
    {
        public IReadOnlyList<InstrumentSnapshot> Latest { get; set; } = [];

        public override ExportResult Export(in Batch<Metric> batch)
        {
            var instruments = new List<InstrumentSnapshot>();
            foreach (var metric in batch)
            {
                if (metric.MeterName == SyncMetrics.MeterName && IsRead(metric.MetricType))
                {
                    instruments.Add(Snapshot(metric));
                }
            }
            Latest = instruments;
            return ExportResult.Success;
        }

        private static InstrumentSnapshot Snapshot(Metric metric)
        {
            var series = new List<SeriesSnapshot>();
            double[] bounds = [];
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var labels = new List<KeyValuePair<string, string>>();
                foreach (var tag in point.Tags)
                {
                    labels.Add(new(tag.Key, Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? ""));
                }
                if (metric.MetricType == MetricType.Histogram)
                {
                    var counts = new List<long>();
                    var upper = new List<double>();
                    foreach (var bucket in point.GetHistogramBuckets())
                    {
                        counts.Add(bucket.BucketCount);
                        if (!double.IsPositiveInfinity(bucket.ExplicitBound))
                        {
                            upper.Add(bucket.ExplicitBound);
                        }
                    }
                    bounds = [.. upper];
                    series.Add(new SeriesSnapshot(labels, point.GetHistogramSum(), [.. counts]));
                }
                else
                {
                    series.Add(new SeriesSnapshot(labels, ValueOf(metric.MetricType, point), null));
                }
            }
            return new InstrumentSnapshot(metric.Name, bounds, series);
        }

        /// <summary>Sums, gauges and explicit-bucket histograms: what the project's meter makes.</summary>
        private static bool IsRead(MetricType type) => type is MetricType.LongSum or MetricType.DoubleSum or MetricType.LongSumNonMonotonic
            or MetricType.DoubleSumNonMonotonic or MetricType.LongGauge or MetricType.DoubleGauge or MetricType.Histogram;

        private static double ValueOf(MetricType type, in MetricPoint point) => type switch
        {
            MetricType.LongSum or MetricType.LongSumNonMonotonic => point.GetSumLong(),
            MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => point.GetSumDouble(),
            MetricType.LongGauge => point.GetGaugeLastValueLong(),
            _ => point.GetGaugeLastValueDouble(),
        };
    }
}
