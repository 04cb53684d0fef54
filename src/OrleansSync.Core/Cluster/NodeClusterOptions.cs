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
    /// Hand copies for sessions of other nodes to the owner directly over HTTP (<c>POST /internal/copies</c> with the
    /// <c>Api:Key</c>) instead of through the store's inbox; the inbox stays the fallback. Default true (cluster store only).
    /// </summary>
    public bool DirectCopies { get; set; } = true;

    /// <summary>How long a node waits for another to take direct copies before it writes them to the inbox instead. Default 2 s.</summary>
    public TimeSpan PeerTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a node may route a user's publishes by its copy of the user's session list instead of reading it per
    /// publish (<see cref="Delivery.UserSessionCache"/>); also how long a change waits for a node that does not confirm
    /// it dropped its copy. Zero turns the copies off. Default 2 s.
    /// </summary>
    public TimeSpan SessionListLifetime { get; set; } = TimeSpan.FromSeconds(2);
}
