namespace OrleansSync.Cluster;

/// <summary>
/// The node's sweeper (key <see cref="SweeperGrain.Key"/>): expires retention windows, flags queues over their bound and
/// cleans up after dead nodes, every <see cref="NodeClusterOptions.HeartbeatInterval"/> while active; a reminder brings it
/// back whenever its activation is gone.
/// </summary>
public interface ISweeperGrain : IGrainWithStringKey
{
    /// <summary>Registers the reminder that keeps the sweeper alive (idempotent; one write) and activates it.</summary>
    Task StartAsync();

    /// <summary>
    /// Nothing but the call: activates the sweeper where its activation is gone. Every silo node makes it each heartbeat,
    /// so a sweeper whose silo died sweeps again as soon as membership has moved it, long before its reminder is due.
    /// </summary>
    Task WakeAsync();
}
