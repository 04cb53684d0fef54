using System.Security.Cryptography;
using OrleansSync.Bench;

var options = BenchOptions.Parse(args);
if (options.WireCostOnly)
{
    Console.WriteLine(WireCost.Measure());
    return 0;
}
var repository = FindRepositoryRoot();
var targets = new Dictionary<string, ServerUnderTest>
{
    ["node"] = ServerUnderTest.Node(options.NodeDll ?? Built("silo", "OrleansSync.Silo"), options.NodeArguments),
    ["baseline"] = ServerUnderTest.Baseline(options.BaselineDll ?? Built("bench/OrleansSync.Bench.Baseline", "OrleansSync.Bench.Baseline")),
    ["signalr"] = ServerUnderTest.SignalR(options.SignalRDll ?? Built("bench/peers/signalr", "OrleansSync.Bench.SignalR")),
    ["socketio"] = ServerUnderTest.SocketIo(options.SocketIoScript ?? Path.Combine(repository, "bench", "peers", "socketio", "server.js")),
};
foreach (var name in options.ClusterMode ? ["node"] : options.Servers)
{
    var entry = targets[name].EntryPath;
    if (!File.Exists(entry))
    {
        Console.Error.WriteLine($"{entry} not found: build Release first (bash bench/run.sh does).");
        return 2;
    }
    if (name == "socketio" && !Directory.Exists(Path.Combine(Path.GetDirectoryName(entry)!, "node_modules")))
    {
        Console.Error.WriteLine($"{Path.GetDirectoryName(entry)}/node_modules not found: run npm ci there (bash bench/run.sh --peers does).");
        return 2;
    }
}

// Fresh keys per run: every server gets the same ones, passed explicitly as in production.
var signingKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
var apiKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
var workDirectory = Path.Combine(Path.GetTempPath(), "orleanssync-bench-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(workDirectory);
Console.WriteLine($"OrleansSync bench {DateTime.Now:yyyy-MM-dd HH:mm}, {Environment.ProcessorCount} cores; " +
    $"{options.Users} users × {options.SessionsPerUser} sessions; warm-up {options.Warmup.TotalSeconds} s, saturation {options.Saturation.TotalSeconds} s, " +
    $"fixed rate {options.LatencyRate}/s for {options.LatencyRun.TotalSeconds} s; idle {options.IdleBase}→{options.IdleTarget}; server logs and data in {workDirectory}");

// The machine is shared: a busy start means the figures understate both servers.
Console.WriteLine($"load average at start: {LoadAverage()}");
if (options.NodeArguments.Count > 0)
{
    Console.WriteLine("node arguments: " + string.Join(' ', options.NodeArguments));
}
if (options.PostgresNodeArguments.Count > 0)
{
    Console.WriteLine("PostgreSQL node arguments: " + string.Join(' ', options.PostgresNodeArguments));
}
var tokens = new BenchTokens(signingKey);
var benchmark = new ServerBenchmark(options, tokens, signingKey, apiKey, workDirectory);
string table;
if (options.ClusterMode)
{
    var scenarios = await RunClusterScenariosAsync();
    var load = scenarios.Where(s => s.Failover is null).ToList();
    var failovers = scenarios.Where(s => s.Failover is not null).ToList();
    table = (load.Count > 0 ? ClusterTable.Render(load, options) : "") + (failovers.Count > 0 ? FailoverTable.Render(failovers) : "");
}
else
{
    // One after another, each on its own fresh processes, with the same clients and publisher.
    List<ServerFigures> figures;
    if (options.Rounds > 1)
    {
        figures = await LoadRounds.RunAsync(benchmark, options, options.Servers.Select(name => targets[name]).ToList());
    }
    else
    {
        figures = [];
        foreach (var name in options.Servers)
        {
            figures.Add(await benchmark.RunAsync(targets[name]));
        }
    }
    table = options.ComparesPeers
        ? PeerTable.Render(figures, options)
        : ResultTable.Render(figures.FirstOrDefault(f => f.Server == "node"), figures.FirstOrDefault(f => f.Server == "baseline"), options);
}

Console.WriteLine();
Console.WriteLine($"load average at the end (other processes share these cores): {LoadAverage()}");
Console.WriteLine(table);
if (options.ResultsFile is { } resultsFile)
{
    await File.WriteAllTextAsync(resultsFile, table);
}
return 0;

// Cluster mode: each scenario on fresh nodes (and a fresh database); the load phases are the foundation run's.
async Task<List<ServerFigures>> RunClusterScenariosAsync()
{
    const string SeparateGatewayScenario = "postgresgw"; // 2 silo nodes + 1 separate gateway (an Orleans client)
    const string SiloKillScenario = "postgresgw-kill"; // the same, and the silo that takes no publishes is killed mid-run
    var results = new List<ServerFigures>();
    foreach (var scenario in options.ClusterScenarios)
    {
        if (scenario is SeparateGatewayScenario or SiloKillScenario)
        {
            // Two silo nodes take the publishes, one gateway-only node (an Orleans client) takes every socket. When a silo is
            // killed, the publishes go only to the other one (FailoverRun says why).
            var kill = scenario == SiloKillScenario;
            var server = options.PostgresServer ?? throw new ArgumentException("--postgres CONNECTION-STRING is needed for " + scenario);
            var database = new PostgresDatabase(server, "bench_" + scenario);
            ServerUnderTest Node(int i, IReadOnlyList<string> roles) => ServerUnderTest.NodeOnPostgres(targets["node"].EntryPath,
                $"bench-{scenario}-n{i}", database.ConnectionString, [.. options.NodeArguments, .. options.PostgresNodeArguments, .. roles]);
            results.Add(await benchmark.RunScenarioAsync(scenario,
            [
                Node(1, []) with { TakesSockets = false },
                Node(2, []) with { TakesSockets = false, TakesPublishes = !kill, KilledDuringRun = kill },
                Node(3, ["--Node:Roles=Gateway"]) with { TakesPublishes = false },
            ], database));
            continue;
        }
        var nodeCount = int.Parse(scenario.AsSpan(scenario.TakeWhile(char.IsLetter).Count())); // sqlite1 → 1, postgres3 → 3
        if (scenario.StartsWith("sqlite", StringComparison.Ordinal))
        {
            if (nodeCount != 1)
            {
                throw new ArgumentException("SQLite is a single-node store: use sqlite1");
            }
            results.Add(await benchmark.RunScenarioAsync(scenario, [targets["node"]], null));
        }
        else if (scenario.StartsWith("postgres", StringComparison.Ordinal))
        {
            var server = options.PostgresServer ?? throw new ArgumentException("--postgres CONNECTION-STRING is needed for " + scenario);
            var database = new PostgresDatabase(server, "bench_" + scenario);
            var nodes = Enumerable.Range(1, nodeCount)
                .Select(i => ServerUnderTest.NodeOnPostgres(targets["node"].EntryPath, $"bench-{scenario}-n{i}", database.ConnectionString, [.. options.NodeArguments, .. options.PostgresNodeArguments])).ToArray();
            results.Add(await benchmark.RunScenarioAsync(scenario, nodes, database));
        }
        else
        {
            throw new ArgumentException($"unknown scenario {scenario}: sqlite1, postgresN, {SeparateGatewayScenario}, {SiloKillScenario}");
        }
    }
    return results;
}

// Where bash bench/run.sh puts a project's Release build.
string Built(string projectDirectory, string assembly) =>
    Path.Combine(repository, projectDirectory, "bin", "Release", "net10.0", assembly + ".dll");

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

static string FindRepositoryRoot()
{
    for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "OrleansSync.sln")))
        {
            return directory.FullName;
        }
    }
    throw new InvalidOperationException("OrleansSync.sln not found above " + AppContext.BaseDirectory);
}
