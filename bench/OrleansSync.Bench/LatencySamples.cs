using System.Diagnostics;
using System.Globalization;

namespace OrleansSync.Bench;

/// <summary>
/// Every delivery of the fixed-rate window, one row each (<c>--samples FILE</c>): the publish's seq, when it was due,
/// when its request began, and when the socket's client received it. The histograms say how large the tail is; these
/// rows say where it comes from (a whole publish late, or one copy; alone, or in a burst; at a period). Preallocated,
/// so recording costs one interlocked increment and four stores per delivery.
/// </summary>
public sealed class LatencySamples(int capacity)
{
    private readonly long[] _seq = new long[capacity];
    private readonly long[] _due = new long[capacity];
    private readonly long[] _request = new long[capacity];
    private readonly long[] _received = new long[capacity];
    private int _count;

    public void Record(long seq, long due, long request, long received)
    {
        var index = Interlocked.Increment(ref _count) - 1;
        if (index < capacity)
        {
            (_seq[index], _due[index], _request[index], _received[index]) = (seq, due, request, received);
        }
    }

    /// <summary>
    /// Writes <c>seq,due_us,request_us,received_us</c>, the times in microseconds from the whole second of the monotonic
    /// clock before the first due time, one row per delivery in the order they were recorded.
    /// </summary>
    public async Task WriteAsync(string path)
    {
        var count = Math.Min(Volatile.Read(ref _count), capacity);
        // From the whole second of the monotonic clock before the first due time, so a time's phase within a period of
        // the kernel (its 4 ms tick at HZ=250) reads the same in every file.
        var first = count == 0 ? 0 : _due.AsSpan(0, count).ToArray().Min();
        var origin = first - first % Stopwatch.Frequency;
        await using var writer = new StreamWriter(path);
        await writer.WriteLineAsync("seq,due_us,request_us,received_us");
        for (var i = 0; i < count; i++)
        {
            await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{_seq[i]},{Micros(origin, _due[i])},{(_request[i] > 0 ? Micros(origin, _request[i]) : "")},{Micros(origin, _received[i])}"));
        }
    }

    private static string Micros(long origin, long timestamp) =>
        ((long)Stopwatch.GetElapsedTime(origin, timestamp).TotalMicroseconds).ToString(CultureInfo.InvariantCulture);
}
