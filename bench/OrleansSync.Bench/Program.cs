using System.Security.Cryptography;
using OrleansSync.Bench;

var options = BenchOptions.Parse(args);
var repository = FindRepositoryRoot();
var nodeDll = options.NodeDll ?? Path.Combine(repository, "silo", "bin", "Release", "net10.0", "OrleansSync.Silo.dll");
var baselineDll = options.BaselineDll ?? Path.Combine(repository, "bench", "OrleansSync.Bench.Baseline", "bin", "Release", "net10.0", "OrleansSync.Bench.Baseline.dll");
foreach (var dll in new[] { nodeDll, baselineDll })
{
    if (!File.Exists(dll))
    {
        Console.Error.WriteLine($"{dll} not found: build Release first (bash bench/run.sh does).");
        return 2;
    }
}

// Fresh keys per run: both servers get the same ones, passed explicitly as in production.
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
    table = ClusterTable.Render(await RunClusterScenariosAsync(), options);
}
else
{
    ServerFigures? node = null, baseline = null;
    if (options.Servers.Contains("node"))
    {
        node = await benchmark.RunAsync(ServerUnderTest.Node(nodeDll, options.NodeArguments));
    }
    if (options.Servers.Contains("baseline"))
    {
        baseline = await benchmark.RunAsync(ServerUnderTest.Baseline(baselineDll));
    }
    table = ResultTable.Render(node, baseline, options);
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
    var results = new List<ServerFigures>();
    foreach (var scenario in options.ClusterScenarios)
    {
        var nodeCount = int.Parse(scenario.AsSpan(scenario.TakeWhile(char.IsLetter).Count())); // sqlite1 → 1, postgres3 → 3
        if (scenario.StartsWith("sqlite", StringComparison.Ordinal))
        {
            if (nodeCount != 1)
            {
                throw new ArgumentException("SQLite is a single-node store: use sqlite1");
            }
            results.Add(await benchmark.RunScenarioAsync(scenario, [ServerUnderTest.Node(nodeDll, options.NodeArguments)], null));
        }
        else if (scenario.StartsWith("postgres", StringComparison.Ordinal))
        {
            var server = options.PostgresServer ?? throw new ArgumentException("--postgres CONNECTION-STRING is needed for " + scenario);
            var database = new PostgresDatabase(server, "bench_" + scenario);
            var nodes = Enumerable.Range(1, nodeCount)
                .Select(i => ServerUnderTest.NodeOnPostgres(nodeDll, $"bench-{scenario}-n{i}", database.ConnectionString, [.. options.NodeArguments, .. options.PostgresNodeArguments])).ToArray();
            results.Add(await benchmark.RunScenarioAsync(scenario, nodes, database));
        }
        else
        {
            throw new ArgumentException($"unknown scenario {scenario}: sqlite1, postgresN");
        }
    }
    return results;
}

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
