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
var tokens = new BenchTokens(signingKey);
var benchmark = new ServerBenchmark(options, tokens, signingKey, apiKey, workDirectory);
ServerFigures? node = null, baseline = null;
if (options.Servers.Contains("node"))
{
    node = await benchmark.RunAsync(ServerUnderTest.Node(nodeDll));
}
if (options.Servers.Contains("baseline"))
{
    baseline = await benchmark.RunAsync(ServerUnderTest.Baseline(baselineDll));
}

var table = ResultTable.Render(node, baseline, options);
Console.WriteLine();
Console.WriteLine($"load average at the end (other processes share these cores): {LoadAverage()}");
Console.WriteLine(table);
if (options.ResultsFile is { } resultsFile)
{
    await File.WriteAllTextAsync(resultsFile, table);
}
return 0;

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
