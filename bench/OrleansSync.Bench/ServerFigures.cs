namespace OrleansSync.Bench;

/// <summary>Everything measured on one server.</summary>
public sealed class ServerFigures(string server)
{
    public string Server { get; } = server;

    // Saturation (closed loop, bounded events in flight).
    public double DeliveriesPerSecond { get; set; } = double.NaN;
    public double PublishesPerSecond { get; set; } = double.NaN;
    public CpuSplit? SaturationCpu { get; set; }
    public StoreWindow? SaturationStore { get; set; }
    public double PostgresCommitsPerSecond { get; set; } = double.NaN;
    public (double Commits, double Rows)? PostgresPerDelivery { get; set; }

    // Fixed-rate run.
    public double AchievedRate { get; set; } = double.NaN;
    public double P50Milliseconds { get; set; } = double.NaN;
    public double P99Milliseconds { get; set; } = double.NaN;

    /// <summary>p50 and p99 from the moment each request began rather than was due (the generator's lateness left out).</summary>
    public (double P50, double P99) FromRequestMilliseconds { get; set; } = (double.NaN, double.NaN);

    /// <summary>p50 and p99 of the generator's lateness: due → request began.</summary>
    public (double P50, double P99) LatenessMilliseconds { get; set; } = (double.NaN, double.NaN);

    public long MissingDeliveries { get; set; }
    public CpuSplit? FixedRateCpu { get; set; }

    // Both load runs.
    public long FailedPublishes { get; set; }

    /// <summary>Accepted publishes × sessions per user − acked deliveries, after both load runs drained: 0 when every copy arrived and was acked.</summary>
    public long LoadDeliveriesMissing { get; set; }
    public long Duplicates { get; set; }
    public long ServerClosedSockets { get; set; }
    public long SlowConsumerCloses { get; set; }

    // Idle connections.
    public double BytesPerIdleConnection { get; set; } = double.NaN;
    public int IdleOpened { get; set; }
    public long IdleDelivered { get; set; }
    public bool IdleHeld { get; set; }

    // Several rounds of the load phases (--rounds): each round's value, in round order (null after one run).
    public double[]? DeliveriesPerRound { get; set; }
    public double[]? P99PerRound { get; set; }

    // Failover scenario (instead of the load phases).
    public FailoverFigures? Failover { get; set; }

    public List<string> Problems { get; } = [];
}
