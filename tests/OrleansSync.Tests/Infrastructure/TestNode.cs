using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using OrleansSync.Silo;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>
/// A real node (Kestrel on a free loopback port, a fresh SQLite file or PostgreSQL database) built exactly as
/// <c>silo/</c> builds it, with test keys and whatever configuration the test overrides. Restartable on the
/// same database.
/// </summary>
public sealed class TestNode : INodeEndpoint, IAsyncDisposable
{
    private readonly Dictionary<string, string?> _settings;
    private WebApplication? _app;
    private WebApplication? _peer; // PostgresCluster: the other silo of the cluster, never stopped by a restart of this node

    private TestNode(Dictionary<string, string?> settings) => _settings = settings;

    public Uri BaseAddress { get; private set; } = null!;
    public Uri WebSocketAddress => new($"ws://{BaseAddress.Authority}/ws");
    public StoreKind Store { get; private set; }
    public string StoreConnectionString => _settings["Store:ConnectionString"]!;
    public WebApplication App => _app ?? throw new InvalidOperationException("not started");
    public HttpClient Http { get; private set; } = null!;

    /// <summary>Starts a node on a fresh SQLite file.</summary>
    public static Task<TestNode> StartAsync(params (string Key, string Value)[] overrides) => StartAsync(StoreKind.Sqlite, overrides);

    /// <summary>Starts a node on a fresh database of <paramref name="store"/>.</summary>
    public static async Task<TestNode> StartAsync(StoreKind store, params (string Key, string Value)[] overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Auth:SigningKey"] = TestTokens.SigningKey,
            ["Api:Key"] = TestTokens.ApiKey,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        switch (store)
        {
            case StoreKind.Sqlite:
                var folder = TestFolder.Create();
                settings["Store:Provider"] = "Sqlite";
                settings["Store:ConnectionString"] = $"Data Source={Path.Combine(folder, "test.db")}";
                break;
            case StoreKind.Postgres or StoreKind.PostgresCluster:
                var server = await PostgresServer.GetAsync();
                settings["Store:Provider"] = "Postgres";
                settings["Store:ConnectionString"] = server.ConnectionString(await server.CreateDatabaseAsync());
                if (store == StoreKind.PostgresCluster)
                {
                    settings["Orleans:DefaultPlacement"] = "Random"; // idle silos: Orleans' default would keep every grain local
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(store));
        }
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }
        var node = new TestNode(settings) { Store = store };
        await node.StartAppAsync();
        if (store == StoreKind.PostgresCluster)
        {
            node._peer = await SiloApp.StartAsync(node.Arguments());
        }
        return node;
    }

    /// <summary>Runs a scalar query on the node's database through a connection of the test's own.</summary>
    public Task<long> QueryScalarAsync(string sql, params (string Name, object Value)[] parameters) =>
        StoreProbe.ScalarAsync(Store, StoreConnectionString, sql, parameters);

    /// <summary>Runs a query on the node's database through a connection of the test's own; the first column of each row.</summary>
    public Task<List<string>> QueryStringsAsync(string sql, params (string Name, object Value)[] parameters) =>
        StoreProbe.StringsAsync(Store, StoreConnectionString, sql, parameters);

    /// <summary>Stops the process-level host (all in-memory state is lost) and starts a new one on the same database.</summary>
    public async Task RestartAsync()
    {
        await StopAppAsync();
        await StartAppAsync();
    }

    /// <summary>Stops the host gracefully (as on SIGTERM); <see cref="StartAgainAsync"/> starts a new one on the same database.</summary>
    public Task StopAsync() => StopAppAsync();

    /// <summary>Starts a new host on the same database after <see cref="StopAsync"/>.</summary>
    public Task StartAgainAsync() => StartAppAsync();

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    /// <summary>
    /// A counter of <c>/metrics</c> summed over this node and, on a <see cref="StoreKind.PostgresCluster"/>, its peer silo:
    /// what the cluster's grains did (a grain such as the sweeper counts on whichever silo holds it).
    /// </summary>
    public async Task<double> CounterAcrossSilosAsync(string metric, params (string Key, string Value)[] labels)
    {
        var sum = (await this.ScrapeAsync()).ValueOrZero(metric, labels);
        if (_peer is not null)
        {
            using var peer = new HttpClient { BaseAddress = new Uri(_peer.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
            sum += PrometheusText.Parse(await peer.GetStringAsync("/metrics")).ValueOrZero(metric, labels);
        }
        return sum;
    }

    /// <summary>A service of the other silo of a <see cref="StoreKind.PostgresCluster"/> node.</summary>
    public T PeerService<T>() where T : notnull =>
        (_peer ?? throw new InvalidOperationException("no peer: not a PostgresCluster node")).Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        await StopAppAsync();
        if (_peer is not null)
        {
            await _peer.StopAsync();
            await _peer.DisposeAsync();
        }
        Http?.Dispose();
        if (Store != StoreKind.Sqlite)
        {
            var server = await PostgresServer.GetAsync();
            await server.DropDatabaseAsync(new Npgsql.NpgsqlConnectionStringBuilder(StoreConnectionString).Database!);
        }
        else
        {
            TestFolder.Delete(Path.GetDirectoryName(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(StoreConnectionString).DataSource)!);
        }
    }

    private string[] Arguments() =>
        ["--urls=http://127.0.0.1:0", "--environment=Testing", .. _settings.Select(s => $"--{s.Key}={s.Value}")];

    private async Task StartAppAsync()
    {
        _app = await SiloApp.StartAsync(Arguments());
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
        Http?.Dispose();
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    private async Task StopAppAsync()
    {
        if (_app is null)
        {
            return;
        }
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
    }
}
