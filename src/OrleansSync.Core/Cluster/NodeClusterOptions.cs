namespace OrleansSync.Cluster;

/// <summary>
/// Membership and maintenance timings of this project's own node table (configuration section <c>Cluster</c>).
/// Named apart from Orleans' <c>ClusterOptions</c> (cluster and service ids), which a silo host configures too.
/// </summary>
public sealed class NodeClusterOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Cluster";

    /// <summary>How often a node heartbeats, polls its inbox and outbox, and checks what it owns. Default 1 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A node silent this long is dead: its viewers leave their rooms and its sessions' retention clocks start. Default 5 s.</summary>
    public TimeSpan NodeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a user's grain may route the user's publishes by the session list it keeps instead of reading it per
    /// publish (<see cref="Delivery.UserGrain"/>); also how long a change waits when it cannot ask a grain to drop its
    /// list. Zero turns the kept lists off. Default 2 s.
    /// </summary>
    public TimeSpan SessionListLifetime { get; set; } = TimeSpan.FromSeconds(2);
}
