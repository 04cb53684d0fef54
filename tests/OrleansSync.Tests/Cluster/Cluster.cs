using OrleansSync.Tests.Infrastructure;

namespace OrleansSync.Tests.Cluster;

/// <summary>Starts nodes as separate processes on one fresh PostgreSQL database, with cluster timings shortened by configuration.</summary>
public sealed class Cluster : IAsyncDisposable
{
    public static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Silo settings for faster death detection than the default (see <see cref="KilledSiloMembershipTests"/>), to keep tests short.</summary>
    public static readonly (string, string)[] FastSiloDeathDetection =
    [
        ("Orleans:ProbeTimeout", "00:00:00.500"), ("Orleans:IAmAliveTablePublishTimeout", "00:00:01"),
    ];
    private readonly List<ProcessNode> _nodes = [];
    private readonly PostgresServer _server;
    private readonly string _database;

    private Cluster(PostgresServer server, string database)
    {
        _server = server;
        _database = database;
        ConnectionString = server.ConnectionString(database);
    }

    public string ConnectionString { get; }

    public static async Task<Cluster> CreateAsync()
    {
        var server = await PostgresServer.GetAsync();
        return new Cluster(server, await server.CreateDatabaseAsync());
    }

    public async Task<ProcessNode> StartNodeAsync(string nodeId, params (string Key, string Value)[] settings)
    {
        var node = await ProcessNode.StartAsync(nodeId,
        [
            ("Store:Provider", "Postgres"), ("Store:ConnectionString", ConnectionString),
            ("Cluster:HeartbeatInterval", "00:00:00.200"), ("Cluster:NodeTimeout", "00:00:02"),
            .. settings,
        ]);
        _nodes.Add(node);
        return node;
    }

    public Task<long> QueryScalarAsync(string sql, params (string Name, object Value)[] parameters) =>
        StoreProbe.ScalarAsync(StoreKind.Postgres, ConnectionString, sql, parameters);

    /// <summary>Everything the nodes printed, for failure messages.</summary>
    public string Logs => string.Join("\n", _nodes.Select(n => $"--- {n.NodeId} ---\n{n.Output}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
        await _server.DropDatabaseAsync(_database);
    }
}
