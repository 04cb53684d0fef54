using OrleansSync.Tests.Infrastructure;
using Xunit.Abstractions;

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

    /// <summary>The setting of a gateway-only node (an Orleans client holding sockets).</summary>
    public static readonly (string, string) GatewayOnly = ("Node:Roles", "Gateway");

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

    /// <summary>Runs <paramref name="test"/> on a fresh cluster; if it fails, every node's output goes to the test's log.</summary>
    public static async Task RunAsync(ITestOutputHelper output, Func<Cluster, Task> test)
    {
        await using var cluster = await CreateAsync();
        try
        {
            await test(cluster);
        }
        catch
        {
            output.WriteLine(cluster.Logs);
            throw;
        }
    }

    /// <summary>
    /// silo-a, a gateway-only node with a tab of <paramref name="userId"/> that attaches while silo-a is the only silo (so
    /// its session grain lives there), then silo-b: how tests kill the silo under a separate gateway's session.
    /// </summary>
    public async Task<TabOnSiloA> StartTabOnSiloAAsync(string userId, (string, string)[] siloSettings, (string, string)[] gatewaySettings)
    {
        var a = await StartNodeAsync("silo-a", siloSettings);
        var gateway = await StartNodeAsync("gateway-1", [GatewayOnly, .. gatewaySettings]);
        var tab = await gateway.ConnectAsync();
        var sessionId = (await tab.AuthAsync(TestTokens.For(userId))).GetProperty("session_id").GetString()!;
        var b = await StartNodeAsync("silo-b", siloSettings);
        return new TabOnSiloA(a, gateway, b, tab, sessionId);
    }

    /// <summary>A per-node counter of <c>/metrics</c> (tagged with its node), summed over <paramref name="nodes"/>: what happened once in the cluster.</summary>
    public static async Task<double> SumCounterAsync(string metric, params ProcessNode[] nodes)
    {
        double sum = 0;
        foreach (var node in nodes)
        {
            sum += (await node.ScrapeAsync()).ValueOrZero(metric, ("node", node.NodeId));
        }
        return sum;
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

/// <summary>What <see cref="Cluster.StartTabOnSiloAAsync"/> started.</summary>
public sealed record TabOnSiloA(ProcessNode SiloA, ProcessNode Gateway, ProcessNode SiloB, WsClient Tab, string SessionId);
