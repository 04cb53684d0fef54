namespace OrleansSync.Gateway.Ops.Dashboard;

/// <summary>An instrument's state at one collection, as the dashboard reads it.</summary>
/// <param name="Name">Instrument name (dotted, as in <see cref="OrleansSync.Diagnostics.SyncMetrics.Names"/>).</param>
/// <param name="Bounds">Histogram bucket upper bounds (ascending, without +Inf); empty for other kinds.</param>
/// <param name="Series">One entry per distinct tag set.</param>
public sealed record InstrumentSnapshot(string Name, IReadOnlyList<double> Bounds, IReadOnlyList<SeriesSnapshot> Series)
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
