using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using OrleansSync.Delivery;

namespace OrleansSync.Diagnostics;

/// <summary>
/// The node's instruments, on one <see cref="Meter"/> named <see cref="MeterName"/>. Hot-path methods cost a
/// counter or histogram record with a fixed tag (no lock, no allocation) and nothing at all when metrics are
/// disabled. Gauges are observed: they read counts that exist anyway (sockets, grain activations, queues)
/// only when someone collects. Names and units are listed in docs/OPERATIONS.md.
/// </summary>
public sealed class SyncMetrics : IDisposable
{
    /// <summary>Name of the meter every instrument of this node lives on.</summary>
    public const string MeterName = "OrleansSync";

    /// <summary>Instrument names (the Prometheus exporter turns dots into underscores and adds unit suffixes).</summary>
    public static class Names
    {
        /// <summary>Gauge: open WebSockets.</summary>
        public const string SocketsOpen = "orleanssync.sockets.open";
        /// <summary>Gauge: sessions with an attached socket.</summary>
        public const string SessionsAttached = "orleanssync.sessions.attached";
        /// <summary>Gauge: attached sessions parked (their grain out of memory while the socket stays open).</summary>
        public const string SessionsParked = "orleanssync.sessions.parked";
        /// <summary>Gauge: grain activations in memory, by <c>type</c>.</summary>
        public const string GrainsActive = "orleanssync.grains.active";
        /// <summary>Counter: grain activations started, by <c>type</c> (with the gauge above: churn from idle collection).</summary>
        public const string GrainsActivated = "orleanssync.grains.activated";
        /// <summary>Gauge: events waiting for an ack in the session grains of this node.</summary>
        public const string QueueEvents = "orleanssync.queue.events";
        /// <summary>Gauge: age of the oldest event waiting for an ack.</summary>
        public const string QueueOldestAge = "orleanssync.queue.oldest_age";
        /// <summary>Counter: event frames written to a socket, not counting retry re-sends.</summary>
        public const string EventsSent = "orleanssync.events.sent";
        /// <summary>Counter: retry re-sends of unacked events.</summary>
        public const string EventsResent = "orleanssync.events.resent";
        /// <summary>Counter: acks that removed a pending event.</summary>
        public const string EventsAcked = "orleanssync.events.acked";
        /// <summary>Histogram: first send of an event in a session to its ack in that session.</summary>
        public const string AckLatency = "orleanssync.events.ack_latency";
        /// <summary>Counter: sessions whose retention window passed (queue dropped).</summary>
        public const string SessionsExpired = "orleanssync.sessions.expired";
        /// <summary>Counter: sessions a node owned in the store with no socket of its own, released by its ownership check.</summary>
        public const string SessionsStrandedReleased = "orleanssync.sessions.stranded_released";
        /// <summary>Counter: sessions closed and deleted after <see cref="DeliveryOptions.MaxAttempts"/> re-sends.</summary>
        public const string SessionsMaxAttempts = "orleanssync.sessions.max_attempts";
        /// <summary>Counter: sessions deleted by the store's bounds, by <c>reason</c> (see <see cref="SessionDeletionReason"/>).</summary>
        public const string SessionsDeleted = "orleanssync.sessions.deleted";
        /// <summary>Counter: <c>need_full_sync</c> flags set on existing sessions, by <c>reason</c>.</summary>
        public const string FullSyncFlagged = "orleanssync.sessions.full_sync_flagged";
        /// <summary>Counter: inbound frames rejected by the gateway, by <c>reason</c>.</summary>
        public const string FramesRejected = "orleanssync.frames.rejected";
        /// <summary>Counter: how publishes found their user's sessions, by <c>source</c>: <c>copy</c> (the user grain's kept list) or <c>store</c>.</summary>
        public const string SessionListLookups = "orleanssync.session_list.lookups";
        /// <summary>Histogram: writes per store commit.</summary>
        public const string StoreBatchSize = "orleanssync.store.batch_size";
        /// <summary>Histogram: duration of one store commit.</summary>
        public const string StoreCommitDuration = "orleanssync.store.commit_duration";
    }

    /// <summary>Bucket bounds (seconds) of the ack latency: a loopback ack takes about a millisecond, a retried one seconds.</summary>
    public static readonly double[] AckLatencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

    /// <summary>Bucket bounds (seconds) of a store commit.</summary>
    public static readonly double[] CommitDurationBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

    /// <summary>Bucket bounds (writes) of a store batch.</summary>
    public static readonly long[] BatchSizeBuckets = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

    private static readonly TimeSpan ScanCacheTime = TimeSpan.FromMilliseconds(100);

    private readonly bool _enabled;
    private readonly TimeProvider _time;
    private readonly Meter? _meter;
    private readonly bool _ownsMeter;
    private readonly KeyValuePair<string, object?> _node;
    private readonly KeyValuePair<string, object?> _retentionReason;
    private readonly KeyValuePair<string, object?> _overflowReason;
    private readonly KeyValuePair<string, object?> _lifetimeReason;
    private readonly KeyValuePair<string, object?> _userLimitReason;
    private readonly Counter<long>? _sent;
    private readonly Counter<long>? _resent;
    private readonly Counter<long>? _acked;
    private readonly Counter<long>? _expired;
    private readonly Counter<long>? _strandedReleased;
    private readonly Counter<long>? _maxAttempts;
    private readonly Counter<long>? _deleted;
    private readonly Counter<long>? _fullSync;
    private readonly Counter<long>? _framesRejected;
    private readonly Counter<long>? _sessionListLookups;
    private readonly Histogram<double>? _ackLatency;
    private readonly Histogram<long>? _batchSize;
    private readonly Histogram<double>? _commitDuration;

    private readonly object _scanGate = new();
    private Func<int>? _openSockets;
    private AttachedSessions? _sessions;
    // Activations by grain kind, counted by the grains themselves (every kind listed from the start, at 0).
    private readonly ConcurrentDictionary<string, ActivationCounts> _activations = new(
        GrainKinds.All.Select(kind => KeyValuePair.Create(kind, new ActivationCounts())), StringComparer.Ordinal);
    private SessionScan _lastScan;
    private long _lastScanAt;

    /// <summary>
    /// Creates the instruments (only if <paramref name="enabled"/>) on a meter from <paramref name="meterFactory"/>,
    /// or on an own meter when there is no factory.
    /// </summary>
    public SyncMetrics(string nodeId, bool enabled, TimeProvider time, IMeterFactory? meterFactory = null)
    {
        NodeId = nodeId;
        _enabled = enabled;
        _time = time;
        _node = new("node", nodeId);
        _retentionReason = new("reason", "retention");
        _overflowReason = new("reason", "queue_overflow");
        _lifetimeReason = new("reason", "lifetime");
        _userLimitReason = new("reason", "user_limit");
        if (!enabled)
        {
            return;
        }
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(new MeterOptions(MeterName)) ?? new Meter(MeterName);
        var meter = _meter;

        meter.CreateObservableGauge(Names.SocketsOpen, () => new Measurement<int>(_openSockets?.Invoke() ?? 0, _node),
            "{socket}", "Open WebSockets on this node.");
        meter.CreateObservableGauge(Names.SessionsAttached, () => new Measurement<int>(Scan().Attached, _node),
            "{session}", "Sessions with an attached socket on this node, parked ones included.");
        meter.CreateObservableGauge(Names.SessionsParked, () => new Measurement<int>(_sessions?.ParkedCount ?? 0, _node),
            "{session}", "Attached sessions parked on this node: idle, their grain out of memory while their socket stays open.");
        meter.CreateObservableGauge(Names.GrainsActive, () => ObserveGrains(static counts => Volatile.Read(ref counts.Active)),
            "{grain}", "Grain activations in memory, by grain type.");
        meter.CreateObservableCounter(Names.GrainsActivated, () => ObserveGrains(static counts => Volatile.Read(ref counts.Started)),
            "{grain}", "Grain activations started, by grain type.");
        meter.CreateObservableGauge(Names.QueueEvents, () => new Measurement<int>(Scan().Queued, _node),
            "{event}", "Events waiting for an ack in the session grains of this node.");
        meter.CreateObservableGauge(Names.QueueOldestAge, () => new Measurement<double>(Scan().OldestAge.TotalSeconds, _node),
            "s", "Age of the oldest event waiting for an ack (0 when none waits).");

        _sent = meter.CreateCounter<long>(Names.EventsSent, "{event}", "Event frames written to sockets: first sends and replays on resume (not retries).");
        _resent = meter.CreateCounter<long>(Names.EventsResent, "{event}", "Retry re-sends of events that were not acked within Delivery:RetryInterval.");
        _acked = meter.CreateCounter<long>(Names.EventsAcked, "{event}", "Acks that removed a pending event (duplicates and unknown ids are not counted).");
        _expired = meter.CreateCounter<long>(Names.SessionsExpired, "{session}", "Detached sessions whose retention window passed; their queue was dropped.");
        _strandedReleased = meter.CreateCounter<long>(Names.SessionsStrandedReleased, "{session}",
            "Sessions this node owned in the store while no socket here held them (their grain could not release them), released by its ownership check.");
        _maxAttempts = meter.CreateCounter<long>(Names.SessionsMaxAttempts, "{session}", "Sessions closed and deleted after Delivery:MaxAttempts re-sends without an ack.");
        _deleted = meter.CreateCounter<long>(Names.SessionsDeleted, "{session}",
            "Sessions deleted by the store's bounds, by reason: lifetime (detached past Delivery:SessionLifetime) or user_limit (over Delivery:MaxSessionsPerUser).");
        _fullSync = meter.CreateCounter<long>(Names.FullSyncFlagged, "{session}", "need_full_sync flags set on existing sessions, by reason.");
        _framesRejected = meter.CreateCounter<long>(Names.FramesRejected, "{frame}", "Inbound frames rejected by the gateway, by reason.");
        _sessionListLookups = meter.CreateCounter<long>(Names.SessionListLookups, "{publish}",
            "How publishes found the user's sessions, by source: copy (the list the user's grain keeps) or store (a read).");
        _ackLatency = meter.CreateHistogram(Names.AckLatency, "s", "From the first send of an event in a session to its ack in that session.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = AckLatencyBuckets });
        _batchSize = meter.CreateHistogram(Names.StoreBatchSize, "{write}", "Writes committed together in one store transaction.",
            tags: null, advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = BatchSizeBuckets });
        _commitDuration = meter.CreateHistogram(Names.StoreCommitDuration, "s", "Duration of one store commit (group commit of a batch).",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = CommitDurationBuckets });

        // Counters whose tag sets are known start at 0, so they are exported (and rate() works) before the first event.
        foreach (var counter in new[] { _sent, _resent, _acked, _expired, _strandedReleased, _maxAttempts })
        {
            counter.Add(0, _node);
        }
        _fullSync.Add(0, _node, _retentionReason);
        _fullSync.Add(0, _node, _overflowReason);
        _deleted.Add(0, _node, _lifetimeReason);
        _deleted.Add(0, _node, _userLimitReason);
    }

    /// <summary>The node id every measurement is tagged with (<c>node</c>).</summary>
    public string NodeId { get; }

    /// <summary>True when instruments exist and hot paths record.</summary>
    public bool Enabled => _enabled;

    /// <summary>The meter (null when disabled). Exporters listen to this very instance.</summary>
    public Meter? Meter => _meter;

    /// <summary>A timestamp for a later latency measurement; 0 when disabled (so nothing reads the clock).</summary>
    public long Timestamp() => _enabled ? _time.GetTimestamp() : 0;

    /// <summary>An event frame was written to a socket (first send or replay).</summary>
    public void EventSent()
    {
        if (_enabled) _sent!.Add(1, _node);
    }

    /// <summary>An unacked event was re-sent by the retry timer.</summary>
    public void EventResent()
    {
        if (_enabled) _resent!.Add(1, _node);
    }

    /// <summary>An event was acked; <paramref name="firstSentTimestamp"/> is from <see cref="Timestamp"/> (0: unknown).</summary>
    public void EventAcked(long firstSentTimestamp)
    {
        if (!_enabled)
        {
            return;
        }
        _acked!.Add(1, _node);
        if (firstSentTimestamp != 0)
        {
            _ackLatency!.Record(_time.GetElapsedTime(firstSentTimestamp).TotalSeconds, _node);
        }
    }

    /// <summary>Detached sessions' retention windows passed and their queues were dropped (each is also flagged).</summary>
    public void SessionsExpired(int count)
    {
        if (_enabled && count > 0)
        {
            _expired!.Add(count, _node);
            _fullSync!.Add(count, _node, _retentionReason);
        }
    }

    /// <summary>The ownership check released sessions owned here with no socket here (their retention clocks start).</summary>
    public void StrandedSessionsReleased(int count)
    {
        if (_enabled && count > 0) _strandedReleased!.Add(count, _node);
    }

    /// <summary>A session was closed and deleted after its last allowed re-send.</summary>
    public void MaxAttemptsReached()
    {
        if (_enabled) _maxAttempts!.Add(1, _node);
    }

    /// <summary>Sessions were deleted for <paramref name="reason"/>.</summary>
    public void SessionsDeleted(int count, SessionDeletionReason reason)
    {
        if (_enabled && count > 0) _deleted!.Add(count, _node, reason == SessionDeletionReason.Lifetime ? _lifetimeReason : _userLimitReason);
    }

    /// <summary>An existing session fell back to a full sync.</summary>
    public void FullSyncFlagged(FullSyncReason reason)
    {
        if (_enabled) _fullSync!.Add(1, _node, reason == FullSyncReason.Retention ? _retentionReason : _overflowReason);
    }

    /// <summary>The gateway rejected an inbound frame; <paramref name="reason"/> is one of a small fixed set of codes.</summary>
    public void FrameRejected(string reason)
    {
        if (_enabled) _framesRejected!.Add(1, _node, new KeyValuePair<string, object?>("reason", reason));
    }

    /// <summary>A publish found its user's sessions in the list its user grain keeps, or read them from the store.</summary>
    public void SessionListLookup(bool fromCopy)
    {
        if (_enabled) _sessionListLookups!.Add(1, _node, new KeyValuePair<string, object?>("source", fromCopy ? "copy" : "store"));
    }

    /// <summary>The store committed a batch of <paramref name="writes"/> in <paramref name="duration"/>.</summary>
    public void BatchCommitted(int writes, TimeSpan duration)
    {
        if (!_enabled)
        {
            return;
        }
        _batchSize!.Record(writes, _node);
        _commitDuration!.Record(duration.TotalSeconds, _node);
    }

    /// <summary>Where the open-socket gauge reads from (the gateway's socket registry).</summary>
    public void ObserveOpenSockets(Func<int> count) => _openSockets = count;

    /// <summary>A grain of <paramref name="kind"/> (<see cref="GrainKinds"/>) was activated in this process.</summary>
    public void GrainActivated(string kind)
    {
        var counts = ActivationCount(kind);
        Interlocked.Increment(ref counts.Active);
        Interlocked.Increment(ref counts.Started);
    }

    /// <summary>A grain of <paramref name="kind"/> was deactivated.</summary>
    public void GrainDeactivated(string kind) => Interlocked.Decrement(ref ActivationCount(kind).Active);

    /// <summary>Activations of <paramref name="kind"/> started in this process so far (the dashboard and tests read it).</summary>
    public long GrainsActivatedSoFar(string kind) => Volatile.Read(ref ActivationCount(kind).Started);

    /// <summary>The attached sessions whose queues and sockets the session gauges read.</summary>
    public void ObserveSessions(AttachedSessions sessions) => _sessions = sessions;

    /// <summary>Reads every gauge now (the dashboard uses it; works with metrics disabled too).</summary>
    public NodeGauges ReadGauges()
    {
        var scan = Scan();
        var grains = new List<KeyValuePair<string, int>>(_activations.Count);
        foreach (var (kind, count) in _activations)
        {
            grains.Add(new(kind, (int)Volatile.Read(ref count.Active)));
        }
        return new NodeGauges(_openSockets?.Invoke() ?? 0, scan.Attached, scan.Queued, scan.OldestAge, grains);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter?.Dispose();
        }
    }

    private IEnumerable<Measurement<long>> ObserveGrains(Func<ActivationCounts, long> read)
    {
        var measurements = new List<Measurement<long>>(_activations.Count);
        foreach (var (kind, counts) in _activations)
        {
            measurements.Add(new Measurement<long>(read(counts), _node, new KeyValuePair<string, object?>("type", kind)));
        }
        return measurements;
    }

    /// <summary>Activations of one grain kind: in memory now, and started since the process began.</summary>
    private sealed class ActivationCounts
    {
        public long Active;
        public long Started;
    }

    /// <summary>
    /// One pass over the attached sessions, shared by the session gauges of one collection. It reads grain
    /// fields outside their turns: a value may be a moment stale, which a gauge tolerates.
    /// </summary>
    private ActivationCounts ActivationCount(string kind) => _activations.GetOrAdd(kind, static _ => new ActivationCounts());

    private SessionScan Scan()
    {
        lock (_scanGate)
        {
            if (_lastScanAt != 0 && System.Diagnostics.Stopwatch.GetElapsedTime(_lastScanAt) < ScanCacheTime)
            {
                return _lastScan;
            }
            int attached = 0, queued = 0;
            long oldest = 0;
            if (_sessions is { } sessions)
            {
                attached = sessions.ParkedCount; // nothing queued: a session parks only with an empty queue
                foreach (var session in sessions.Grains)
                {
                    attached++;
                    queued += session.QueuedCount;
                    var first = session.OldestQueuedTimestamp;
                    if (first != 0 && (oldest == 0 || first < oldest))
                    {
                        oldest = first;
                    }
                }
            }
            _lastScanAt = System.Diagnostics.Stopwatch.GetTimestamp();
            _lastScan = new SessionScan(attached, queued, oldest == 0 ? TimeSpan.Zero : _time.GetElapsedTime(oldest));
            return _lastScan;
        }
    }

    private readonly record struct SessionScan(int Attached, int Queued, TimeSpan OldestAge);
}

/// <summary>Why an existing session fell back to <c>need_full_sync</c>.</summary>
public enum FullSyncReason
{
    /// <summary>Its retention window passed while detached.</summary>
    Retention,

    /// <summary>Its queue outgrew <see cref="DeliveryOptions.MaxQueuedPerSession"/>.</summary>
    QueueOverflow,
}

/// <summary>Why the store deleted sessions (the <c>reason</c> of <see cref="SyncMetrics.Names.SessionsDeleted"/>).</summary>
public enum SessionDeletionReason
{
    /// <summary>Detached longer than <see cref="DeliveryOptions.SessionLifetime"/>.</summary>
    Lifetime,

    /// <summary>The oldest of a user over <see cref="DeliveryOptions.MaxSessionsPerUser"/>.</summary>
    UserLimit,
}

/// <summary>The gauges of a node at one moment.</summary>
/// <param name="OpenSockets">Open WebSockets.</param>
/// <param name="AttachedSessions">Sessions with an attached socket.</param>
/// <param name="QueuedEvents">Events waiting for an ack.</param>
/// <param name="OldestQueuedAge">Age of the oldest of them.</param>
/// <param name="ActiveGrains">Activations in memory by grain type.</param>
public readonly record struct NodeGauges(int OpenSockets, int AttachedSessions, int QueuedEvents, TimeSpan OldestQueuedAge,
    IReadOnlyList<KeyValuePair<string, int>> ActiveGrains);
