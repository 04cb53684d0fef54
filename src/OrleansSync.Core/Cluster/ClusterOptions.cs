namespace OrleansSync.Cluster;

/// <summary>Membership and maintenance timings (configuration section <c>Cluster</c>).</summary>
public sealed class ClusterOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Cluster";

    /// <summary>How often a node heartbeats, polls its inbox and outbox, and checks what it owns. Default 1 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A node silent this long is dead: its viewers leave their rooms and its sessions' retention clocks start. Default 5 s.</summary>
    public TimeSpan NodeTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
