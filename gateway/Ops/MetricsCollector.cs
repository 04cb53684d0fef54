using System.Diagnostics.Metrics;
using OrleansSync.Diagnostics;

namespace OrleansSync.Gateway.Ops;

/// <summary>
/// Aggregates the measurements of one node's <see cref="SyncMetrics.Meter"/> in memory, for <c>/metrics</c> and
/// the dashboard. It listens to that very meter instance (not to every meter named <c>OrleansSync</c>), so several
/// nodes in one process (tests) never mix. Recording is lock-free: a series is found by scanning a small
/// copy-on-write array and updated with interlocked operations; only a never-seen tag set takes a lock.
/// </summary>
public sealed class MetricsCollector : IDisposable
{
    private readonly Meter _meter;
    private readonly MeterListener _listener;
    private readonly object _collectGate = new();
    private InstrumentAggregate[] _instruments = [];

    /// <summary>Starts listening to <paramref name="metrics"/>' meter (which must be enabled).</summary>
    public MetricsCollector(SyncMetrics metrics)
    {
        _meter = metrics.Meter ?? throw new InvalidOperationException("Metrics are disabled (Metrics:Enabled=false).");
        _listener = new MeterListener { InstrumentPublished = OnInstrumentPublished };
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentAggregate)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((InstrumentAggregate)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentAggregate)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>
    /// Reads every instrument now: observable ones are called, the others are copied. Series of observable
    /// instruments that did not report in this collection are left out.
    /// </summary>
    public IReadOnlyList<InstrumentSnapshot> Collect()
    {
        lock (_collectGate)
        {
            var instruments = Volatile.Read(ref _instruments);
            foreach (var instrument in instruments)
            {
                instrument.BeginObservation();
            }
            _listener.RecordObservableInstruments();
            var snapshots = new InstrumentSnapshot[instruments.Length];
            for (var i = 0; i < instruments.Length; i++)
            {
                snapshots[i] = instruments[i].Snapshot();
            }
            return snapshots;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (!ReferenceEquals(instrument.Meter, _meter))
        {
            return;
        }
        var aggregate = new InstrumentAggregate(instrument);
        lock (_collectGate)
        {
            _instruments = [.. _instruments, aggregate];
        }
        listener.EnableMeasurementEvents(instrument, aggregate);
    }
}

/// <summary>How an instrument aggregates.</summary>
public enum InstrumentKind
{
    /// <summary>Monotonic sum (Counter, ObservableCounter): a Prometheus counter.</summary>
    Counter,

    /// <summary>Value that goes up and down (UpDownCounter, gauges): a Prometheus gauge.</summary>
    Gauge,

    /// <summary>Distribution in buckets: a Prometheus histogram.</summary>
    Histogram,
}

/// <summary>An instrument's state at one collection.</summary>
/// <param name="Name">Instrument name (dotted).</param>
/// <param name="Unit">UCUM unit or annotation such as <c>{event}</c>, or null.</param>
/// <param name="Description">Help text.</param>
/// <param name="Kind">How it aggregates.</param>
/// <param name="Bounds">Histogram bucket upper bounds (ascending); empty for other kinds.</param>
/// <param name="Series">One entry per distinct tag set.</param>
public sealed record InstrumentSnapshot(string Name, string? Unit, string? Description, InstrumentKind Kind,
    IReadOnlyList<double> Bounds, IReadOnlyList<SeriesSnapshot> Series)
{
    /// <summary>Sum of the values of every series (counters and gauges).</summary>
    public double Total => Series.Sum(s => s.Value);
}

/// <summary>One series of an instrument.</summary>
/// <param name="Labels">Tag names and values, values already turned into text.</param>
/// <param name="Value">Counter or gauge value; histogram sum.</param>
/// <param name="BucketCounts">Histogram only: count per bucket (not cumulative), the last one for +Inf.</param>
public sealed record SeriesSnapshot(IReadOnlyList<KeyValuePair<string, string>> Labels, double Value, long[]? BucketCounts)
{
    /// <summary>Histogram only: number of recorded values.</summary>
    public long Count => BucketCounts?.Sum() ?? 0;
}
