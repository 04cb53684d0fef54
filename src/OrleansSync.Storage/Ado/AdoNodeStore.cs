using OrleansSync.Cluster;
using static OrleansSync.Storage.Ado.SqlCommands;

namespace OrleansSync.Storage.Ado;

/// <summary><see cref="INodeStore"/> over ADO.NET: the node table is the cluster's membership.</summary>
public sealed class AdoNodeStore(SqlDialect dialect) : INodeStore
{
    /// <inheritdoc />
    public async Task HeartbeatAsync(string nodeId, string roles, string? address, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, null, dialect.UpsertNode, cancellationToken, ("node_id", nodeId), ("roles", roles), ("address", address),
            ("now", ToUnixMs(now))).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> FindDeadNodesAsync(string self, DateTimeOffset deadBefore, CancellationToken cancellationToken = default)
    {
        await using var connection = await dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAsync(connection, dialect.SelectDeadNodes, static r => r.GetString(0), cancellationToken,
            ("self", self), ("before", ToUnixMs(deadBefore))).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<NodeInfo>> LoadNodesAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAsync(connection, dialect.SelectNodes, static r => new NodeInfo(r.GetString(0), r.GetString(1), FromUnixMs(r.GetInt64(2)),
            FromUnixMs(r.GetInt64(3)), NullableString(r, 4)), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task DeleteNodeAsync(string nodeId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, null, dialect.DeleteNode, cancellationToken, ("node_id", nodeId)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<bool> TryRunExclusiveAsync(string name, Func<CancellationToken, Task> work, CancellationToken cancellationToken = default) =>
        dialect.TryRunExclusiveAsync(name, work, cancellationToken);
}
