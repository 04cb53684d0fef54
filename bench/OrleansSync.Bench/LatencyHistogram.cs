namespace OrleansSync.Bench;

/// <summary>
/// Lock-free log-linear histogram of microseconds: 32 sub-buckets per power of two (about 3 % precision),
/// so recording from many socket loops costs one Interlocked increment and no allocation.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBucketBits = 5;
    private const int SubBuckets = 1 << SubBucketBits;
    private readonly long[] _counts = new long[64 * SubBuckets];

    public void Record(long microseconds)
    {
        if (microseconds < 0)
        {
            microseconds = 0;
        }
        Interlocked.Increment(ref _counts[IndexOf(microseconds)]);
    }

    public long Count => _counts.Sum();

    /// <summary>The value (upper edge of its bucket, in µs) below which <paramref name="fraction"/> of the samples lie.</summary>
    public double Percentile(double fraction)
    {
        var total = Count;
        if (total == 0)
        {
            return double.NaN;
        }
        var rank = (long)Math.Ceiling(total * fraction);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Volatile.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return UpperEdge(i);
            }
        }
        return UpperEdge(_counts.Length - 1);
    }

    /// <summary>p90, p95, p99, p99.9 and the largest sample, in milliseconds, for the log.</summary>
    public string Tail() => FormattableString.Invariant(
        $"p90 {Percentile(0.90) / 1000:F2}, p95 {Percentile(0.95) / 1000:F2}, p99 {Percentile(0.99) / 1000:F2}, p99.9 {Percentile(0.999) / 1000:F2}, max {Percentile(1.0) / 1000:F2}");

    private static int IndexOf(long value)
    {
        if (value < SubBuckets)
        {
            return (int)value;
        }
        var magnitude = 63 - (int)long.LeadingZeroCount(value); // >= SubBucketBits
        var shift = magnitude - SubBucketBits;
        var sub = (int)(value >> shift) - SubBuckets; // 0..SubBuckets-1
        return (shift + 1) * SubBuckets + sub;
    }

    private static double UpperEdge(int index)
    {
        if (index < SubBuckets)
        {
            return index + 1;
        }
        var shift = index / SubBuckets - 1;
        var sub = index % SubBuckets;
        return (double)((long)(SubBuckets + sub + 1) << shift);
    }
}
