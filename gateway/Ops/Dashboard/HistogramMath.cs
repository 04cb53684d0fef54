namespace OrleansSync.Gateway.Ops.Dashboard;

/// <summary>Percentiles estimated from bucket counts (linear within a bucket, as Prometheus' histogram_quantile does).</summary>
public static class HistogramMath
{
    /// <summary>
    /// The <paramref name="quantile"/> (0..1) of values counted in <paramref name="counts"/> (per bucket, the last for
    /// +Inf) over <paramref name="bounds"/>; null when nothing was counted. Values past the last bound report it.
    /// </summary>
    public static double? Percentile(IReadOnlyList<double> bounds, IReadOnlyList<long> counts, double quantile)
    {
        long total = 0;
        foreach (var count in counts)
        {
            total += count;
        }
        if (total == 0)
        {
            return null;
        }
        var rank = quantile * total;
        long before = 0;
        for (var i = 0; i < counts.Count; i++)
        {
            var inBucket = counts[i];
            if (inBucket > 0 && before + inBucket >= rank)
            {
                if (i >= bounds.Count)
                {
                    return bounds.Count > 0 ? bounds[^1] : null;
                }
                var lower = i == 0 ? Math.Min(0, bounds[0]) : bounds[i - 1];
                var upper = bounds[i];
                return lower + (upper - lower) * Math.Clamp((rank - before) / inBucket, 0, 1);
            }
            before += inBucket;
        }
        return bounds.Count > 0 ? bounds[^1] : null;
    }

    /// <summary>Bucket counts of <paramref name="later"/> minus <paramref name="earlier"/> (a window between two samples).</summary>
    public static long[] Delta(long[] later, long[]? earlier)
    {
        var delta = new long[later.Length];
        for (var i = 0; i < later.Length; i++)
        {
            delta[i] = later[i] - (earlier is not null && i < earlier.Length ? earlier[i] : 0);
        }
        return delta;
    }
}
