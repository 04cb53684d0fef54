namespace OrleansSync.Gateway.Hosting;

/// <summary>The Orleans silo of this process (configuration section <c>Orleans</c>).</summary>
public sealed class SiloOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Orleans";

    /// <summary>
    /// Port for silo-to-silo traffic, on loopback. Default 0: a free port is picked at start, so several nodes
    /// started on one machine with nothing but different <c>--urls</c> never collide.
    /// </summary>
    public int SiloPort { get; set; }

    /// <summary>
    /// Port for Orleans clients (separate gateway processes). Default 0: on PostgreSQL a free port picked at start (the
    /// membership table tells clients where it is); on SQLite none, since the one node is the whole cluster.
    /// </summary>
    public int GatewayPort { get; set; }

    /// <summary>
    /// On PostgreSQL: the IP address this node's silo gives the other silos in the membership table. Default
    /// <c>127.0.0.1</c>: a cluster on one machine, silo ports bound to loopback only. Set it to an address of this
    /// machine the other machines reach (e.g. <c>10.0.0.5</c>) to run nodes on several machines; the silo then listens
    /// on every interface, so its ports must be kept to the cluster's private network.
    /// </summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary><see cref="AdvertisedAddress"/> parsed; a clear error names the setting if it is not an IP address.</summary>
    public System.Net.IPAddress AdvertisedIPAddress() =>
        System.Net.IPAddress.TryParse(AdvertisedAddress, out var address)
            ? address
            : throw new InvalidOperationException($"Orleans:AdvertisedAddress '{AdvertisedAddress}' is not an IP address (e.g. 10.0.0.5).");

    /// <summary>
    /// Serves Orleans' own dashboard at <c>/dashboard/orleans/</c> wherever the delivery dashboard is served (Development,
    /// or <c>Admin:Key</c> set), behind the same key. Default true. Its grain-call profiler runs only while someone
    /// watches it (and a minute after); off, the silo registers nothing of it.
    /// </summary>
    public bool Dashboard { get; set; } = true;

    /// <summary>
    /// Where Orleans places grains that name no placement of their own (users, rooms, the sweeper; session grains
    /// always start beside their socket): <c>ResourceOptimized</c> (Orleans' default: the least loaded silo, with a
    /// preference for the caller's) or <c>Random</c> (any silo: spreads grains even while the silos are idle).
    /// </summary>
    public string DefaultPlacement { get; set; } = "ResourceOptimized";

    /// <summary>
    /// On PostgreSQL (Orleans membership in the database): the first timeout of a liveness probe between silos, and the period between
    /// probes (Orleans' <c>ClusterMembershipOptions.ProbeTimeout</c>; Orleans then adapts both per silo from measured
    /// round trips, between half and four times this). Default 1 s (Orleans: 5 s): one machine, loopback round trips.
    /// </summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// On PostgreSQL (Orleans membership in the database): probes missed in a row before a silo votes another dead (Orleans'
    /// <c>NumMissedProbesLimit</c>). Default 3, Orleans' own.
    /// </summary>
    public int NumMissedProbesLimit { get; set; } = 3;

    /// <summary>
    /// On PostgreSQL (Orleans membership in the database): how often a silo writes its alive time to its membership row (Orleans'
    /// <c>IAmAliveTablePublishTimeout</c>). Three missed writes make the row stale: every silo, a joining one too, then
    /// probes it, and it no longer counts towards the votes needed to declare a silo dead. Default 2 s (Orleans: 30 s).
    /// </summary>
    public TimeSpan IAmAliveTablePublishTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The longest a silo killed without a goodbye stays Active in the membership table while a silo it was talking to
    /// survives: <see cref="NumMissedProbesLimit"/> failed probes, each at most one probe period apart, the period at most
    /// four times <see cref="ProbeTimeout"/> (Orleans' <c>MaxProbeTimeout</c>, reached only while the surviving silo finds
    /// itself degraded), plus the table writes. A healthy survivor needs <see cref="NumMissedProbesLimit"/> ×
    /// <see cref="ProbeTimeout"/> at most.
    /// </summary>
    public TimeSpan KilledSiloDeclaredDeadWithin => MaxProbeTimeout * NumMissedProbesLimit;

    /// <summary>
    /// The longest probe timeout and period Orleans may adapt to (its <c>MaxProbeTimeout</c>): four times
    /// <see cref="ProbeTimeout"/>, Orleans' own ratio, set explicitly so <see cref="KilledSiloDeclaredDeadWithin"/> holds.
    /// </summary>
    public TimeSpan MaxProbeTimeout => ProbeTimeout * 4;
}
