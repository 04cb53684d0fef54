namespace OrleansSync.Cluster;

/// <summary>
/// The cluster's membership, kept in the database (the arbiter): each node heartbeats its row; a node whose
/// heartbeat is older than the timeout is dead, and one survivor cleans up after it.
/// </summary>
public interface INodeStore
{
    /// <summary>Inserts or refreshes this node's row (<paramref name="address"/>: where peers reach it; null: unknown yet).</summary>
    Task HeartbeatAsync(string nodeId, string roles, string? address, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Nodes other than <paramref name="self"/> whose last heartbeat is before <paramref name="deadBefore"/>.</summary>
    Task<IReadOnlyList<string>> FindDeadNodesAsync(string self, DateTimeOffset deadBefore, CancellationToken cancellationToken = default);

    /// <summary>
    /// The Orleans silos of the cluster declared dead so far (kill -9 or a clean stop), each by a key no other silo has;
    /// empty on a single node. Their grains are gone, timers included, and activate afresh on a survivor when next called.
    /// </summary>
    Task<IReadOnlyList<string>> FindDeadSilosAsync(CancellationToken cancellationToken = default);

    /// <summary>Nodes with their roles and addresses (the dashboard, and peers finding each other).</summary>
    Task<IReadOnlyList<NodeInfo>> LoadNodesAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes a node's row (after cleanup, or at a clean shutdown).</summary>
    Task DeleteNodeAsync(string nodeId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Runs <paramref name="work"/> only if no other node is running work under the same name right now
    /// (a PostgreSQL advisory lock; in-process on SQLite). Returns false if it did not run.
    /// </summary>
    Task<bool> TryRunExclusiveAsync(string name, Func<CancellationToken, Task> work, CancellationToken cancellationToken = default);
}

/// <summary>A node as the cluster sees it.</summary>
public sealed record NodeInfo(string NodeId, string Roles, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt, string? Address = null);
