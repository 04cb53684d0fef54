using OrleansSync.Cluster;
using static OrleansSync.Storage.Ado.SqlCommands;

namespace OrleansSync.Storage.Ado;

/// <summary>
/// <see cref="INodeStore"/> over ADO.NET: the node table is the cluster's membership. The heartbeat is also the
/// store's regular write outside the group commit: its outcome tells <see cref="StoreHealth"/> whether such writes work.
/// </summary>
/// <param name="dialect">The database.</param>
/// <param name="health">Hears the heartbeat's outcome (nobody when not given).</param>
public sealed class AdoNodeStore(SqlDialect dialect, StoreHealth? health = null) : INodeStore
{
    private readonly StoreFaults _faults = new(dialect, health);

    /// <inheritdoc />
    public async Task HeartbeatAsync(string nodeId, string roles, string? address, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, null, dialect.UpsertNode, cancellationToken, ("node_id", nodeId), ("roles", roles), ("address", address),
                ("now", ToUnixMs(now))).ConfigureAwait(false);
        }
        catch (Exception exception) when (_faults.Describe(exception) is { } reason)
        {
            throw _faults.Unavailable(reason, exception, StoreWritePath.Direct);
        }
        _faults.Succeeded(StoreWritePath.Direct);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> FindDeadNodesAsync(string self, DateTimeOffset deadBefore, CancellationToken cancellationToken = default)
    {
        await using var connection = await dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAsync(connection, dialect.SelectDeadNodes, static r => r.GetString(0), cancellationToken,
            ("self", self), ("before", ToUnixMs(deadBefore))).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> FindDeadSilosAsync(CancellationToken cancellationToken = default)
    {
        if (dialect.SelectDeadSilos is not { } select)
        {
            return [];
        }
        await using var connection = await dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAsync(connection, select, static r => r.GetString(0), cancellationToken).ConfigureAwait(false);
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
