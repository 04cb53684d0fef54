using System.Diagnostics;
using System.Net.WebSockets;

namespace OrleansSync.Bench;

/// <summary>What every client reports to: deliveries (counted when acked), latencies of the recorded range, closes.</summary>
public sealed class DeliveryStats
{
    private long _delivered;
    private long _serverClosed;
    private long _slowConsumerClosed;
    private long _lost;
    private long _duplicates;
    private long _duplicatesApplied;
    private long _countFrom;
    private int[]? _perSeq;
    private long _recordFrom = long.MaxValue;
    private long _recordTo = long.MaxValue;

    /// <summary>Failover scenario: the kill's moment and what the tabs went through after it, or null.</summary>
    public FailoverStats? Failover { get; set; }

    public LatencyHistogram Latency { get; private set; } = new();

    /// <summary>The recorded range's latencies from the moment each request began (<see cref="RequestStartOf"/>) instead of its due time.</summary>
    public LatencyHistogram LatencyFromRequest { get; private set; } = new();

    /// <summary>When the request of a seq began (the publisher's record), or null: then only <see cref="Latency"/> is kept.</summary>
    public Func<long, long>? RequestStartOf { get; set; }

    /// <summary>Every delivery of the recorded range, when asked for (<c>--samples</c>), or null.</summary>
    public LatencySamples? Samples { get; set; }

    /// <summary>Publish window to release as deliveries arrive (closed-loop saturation), or null.</summary>
    public PublishWindow? Window { get; set; }

    public long Delivered => Interlocked.Read(ref _delivered);
    public long ServerClosed => Interlocked.Read(ref _serverClosed);
    public long SlowConsumerClosed => Interlocked.Read(ref _slowConsumerClosed);
    public long Lost => Interlocked.Read(ref _lost);
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Events whose seq a session had already received under another event id: a tab, deduping by id, applies the publish twice.</summary>
    public long DuplicatesApplied => Interlocked.Read(ref _duplicatesApplied);

    /// <summary>Counts the sessions that acked each seq in [fromSeq, fromSeq + count), so every accepted publish can be checked on its own.</summary>
    public void CountPerSeq(long fromSeq, long count)
    {
        _countFrom = fromSeq;
        Volatile.Write(ref _perSeq, new int[count]);
    }

    /// <summary>Sessions that acked <paramref name="seq"/> (within the range given to <see cref="CountPerSeq"/>).</summary>
    public int DeliveriesOf(long seq) => Volatile.Read(ref _perSeq)![seq - _countFrom];

    /// <summary>Records latency only for events whose seq is in [from, to), so warm-up and other phases never mix in.</summary>
    public void RecordLatencyFor(long fromSeq, long toSeq)
    {
        Latency = new LatencyHistogram();
        LatencyFromRequest = new LatencyHistogram();
        Volatile.Write(ref _recordTo, toSeq);
        Volatile.Write(ref _recordFrom, fromSeq);
    }

    /// <summary>Called after the ack of an event was sent, once per event and session.</summary>
    public void OnDelivered(long seq, long sentTimestamp)
    {
        Interlocked.Increment(ref _delivered);
        if (seq >= Volatile.Read(ref _recordFrom) && seq < Volatile.Read(ref _recordTo))
        {
            var now = Stopwatch.GetTimestamp();
            Latency.Record((long)Stopwatch.GetElapsedTime(sentTimestamp, now).TotalMicroseconds);
            var requestStart = RequestStartOf?.Invoke(seq) ?? 0;
            if (requestStart > 0)
            {
                LatencyFromRequest.Record((long)Stopwatch.GetElapsedTime(requestStart, now).TotalMicroseconds);
            }
            Samples?.Record(seq, sentTimestamp, requestStart, now);
        }
        Window?.OnDelivered(seq);
        if (Volatile.Read(ref _perSeq) is { } counts && (ulong)(seq - _countFrom) < (ulong)counts.Length)
        {
            Interlocked.Increment(ref counts[seq - _countFrom]);
        }
    }

    public void OnServerClosed(WebSocketCloseStatus? status)
    {
        Interlocked.Increment(ref _serverClosed);
        if ((int?)status == SlowConsumerCloseCode)
        {
            Interlocked.Increment(ref _slowConsumerClosed);
        }
    }

    public void OnLost() => Interlocked.Increment(ref _lost);

    /// <summary>A session received an event it had already received (a re-send): not a delivery.</summary>
    public void OnDuplicate() => Interlocked.Increment(ref _duplicates);

    /// <summary>A session received a seq it had acked under another event id: not a delivery, an error.</summary>
    public void OnDuplicateApplied() => Interlocked.Increment(ref _duplicatesApplied);

    /// <summary>The node's close code for a socket whose outbound buffer overflowed.</summary>
    public const int SlowConsumerCloseCode = 4004;
}
