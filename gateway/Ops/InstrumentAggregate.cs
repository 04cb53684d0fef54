using System.Diagnostics.Metrics;
using System.Globalization;

namespace OrleansSync.Gateway.Ops;

/// <summary>The series of one instrument, updated from measurement callbacks without locks.</summary>
internal sealed class InstrumentAggregate
{
    /// <summary>Used when a histogram gives no bucket advice (the OpenTelemetry default bounds).</summary>
    private static readonly double[] DefaultBounds = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private readonly Instrument _instrument;
    private readonly InstrumentKind _kind;
    private readonly bool _setsValue;
    private readonly double[] _bounds;
    private readonly object _addGate = new();
    private Series[] _series = [];

    public InstrumentAggregate(Instrument instrument)
    {
        _instrument = instrument;
        var definition = instrument.GetType().IsGenericType ? instrument.GetType().GetGenericTypeDefinition() : null;
        _kind = definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>) ? InstrumentKind.Counter
            : definition == typeof(Histogram<>) ? InstrumentKind.Histogram
            : InstrumentKind.Gauge;
        // Observable instruments report the current value (cumulative for observable counters); so do gauges.
        _setsValue = instrument.IsObservable || definition == typeof(Gauge<>);
        _bounds = _kind == InstrumentKind.Histogram ? BoundsOf(instrument) : [];
    }

    public void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var series = Find(tags);
        if (_kind == InstrumentKind.Histogram)
        {
            series.Observe(value, _bounds);
        }
        else if (_setsValue)
        {
            series.Set(value);
        }
        else
        {
            series.Add(value);
        }
    }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var series = Find(tags);
        if (_kind == InstrumentKind.Histogram)
        {
            series.Observe(value, _bounds);
        }
        else if (_setsValue)
        {
            series.Set(value);
        }
        else
        {
            series.Add(value);
        }
    }

    /// <summary>Before observable instruments are called: series that do not report again are stale.</summary>
    public void BeginObservation()
    {
        if (!_instrument.IsObservable)
        {
            return;
        }
        foreach (var series in Volatile.Read(ref _series))
        {
            series.Reported = false;
        }
    }

    public InstrumentSnapshot Snapshot()
    {
        var all = Volatile.Read(ref _series);
        var snapshots = new List<SeriesSnapshot>(all.Length);
        foreach (var series in all)
        {
            if (_instrument.IsObservable && !series.Reported)
            {
                continue;
            }
            snapshots.Add(series.Snapshot());
        }
        return new InstrumentSnapshot(_instrument.Name, _instrument.Unit, _instrument.Description, _kind, _bounds, snapshots);
    }

    private Series Find(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var series in Volatile.Read(ref _series))
        {
            if (series.Matches(tags))
            {
                return series;
            }
        }
        lock (_addGate)
        {
            foreach (var series in _series)
            {
                if (series.Matches(tags))
                {
                    return series;
                }
            }
            var added = new Series(tags.ToArray(), _kind == InstrumentKind.Histogram ? _bounds.Length + 1 : 0);
            Volatile.Write(ref _series, [.. _series, added]);
            return added;
        }
    }

    private static double[] BoundsOf(Instrument instrument)
    {
        double[]? bounds = instrument switch
        {
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries?.ToArray(),
            Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            _ => null,
        };
        if (bounds is not { Length: > 0 })
        {
            return DefaultBounds;
        }
        Array.Sort(bounds);
        return bounds.Distinct().ToArray();
    }

    /// <summary>One tag set of an instrument.</summary>
    private sealed class Series
    {
        private readonly KeyValuePair<string, object?>[] _tags;
        private readonly long[]? _buckets;
        private long _longSum;
        private long _doubleBits;

        public Series(KeyValuePair<string, object?>[] tags, int buckets)
        {
            _tags = tags;
            _buckets = buckets > 0 ? new long[buckets] : null;
            Labels = tags.Select(t => new KeyValuePair<string, string>(t.Key, LabelText(t.Value))).ToArray();
        }

        public KeyValuePair<string, string>[] Labels { get; }

        public volatile bool Reported;

        /// <summary>Same tag set, in any order.</summary>
        public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length != _tags.Length)
            {
                return false;
            }
            foreach (var tag in tags)
            {
                var found = false;
                foreach (var own in _tags)
                {
                    if ((ReferenceEquals(own.Key, tag.Key) || own.Key == tag.Key) && Equals(own.Value, tag.Value))
                    {
                        found = true;
                        break;
                    }
                }
                if (!found)
                {
                    return false;
                }
            }
            return true;
        }

        public void Add(long value) => Interlocked.Add(ref _longSum, value);

        public void Add(double value) => AddDouble(ref _doubleBits, value);

        public void Set(double value)
        {
            Interlocked.Exchange(ref _longSum, 0);
            Interlocked.Exchange(ref _doubleBits, BitConverter.DoubleToInt64Bits(value));
            Reported = true;
        }

        public void Observe(double value, double[] bounds)
        {
            // Bucket i holds values in (bounds[i-1], bounds[i]]; the last one is +Inf.
            int low = 0, high = bounds.Length;
            while (low < high)
            {
                var middle = (low + high) >>> 1;
                if (value <= bounds[middle]) high = middle;
                else low = middle + 1;
            }
            Interlocked.Increment(ref _buckets![low]);
            AddDouble(ref _doubleBits, value);
        }

        public SeriesSnapshot Snapshot()
        {
            long[]? buckets = null;
            if (_buckets is not null)
            {
                buckets = new long[_buckets.Length];
                for (var i = 0; i < buckets.Length; i++)
                {
                    buckets[i] = Volatile.Read(ref _buckets[i]);
                }
            }
            var value = Volatile.Read(ref _longSum) + BitConverter.Int64BitsToDouble(Volatile.Read(ref _doubleBits));
            return new SeriesSnapshot(Labels, value, buckets);
        }

        private static void AddDouble(ref long bits, double value)
        {
            long current, next;
            do
            {
                current = Volatile.Read(ref bits);
                next = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(current) + value);
            } while (Interlocked.CompareExchange(ref bits, next, current) != current);
        }

        private static string LabelText(object? value) => value switch
        {
            null => "",
            string text => text,
            bool flag => flag ? "true" : "false",
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
    }
}
