namespace OrleansSync.Bench;

/// <summary>How to start one of the servers: the real node (durable SQLite or PostgreSQL) or the bare baseline.</summary>
public sealed record ServerUnderTest(string Name, string DllPath, Func<string, IReadOnlyList<string>> ArgumentsFor)
{
    /// <summary>The node in Production with explicit keys and a fresh SQLite file under <c>dataDirectory</c>, plus <paramref name="extraArguments"/>.</summary>
    public static ServerUnderTest Node(string dllPath, IReadOnlyList<string> extraArguments) => new("node", dllPath, dataDirectory =>
        [$"--Store:ConnectionString=Data Source={Path.Combine(dataDirectory, "node.db")}", .. extraArguments]);

    /// <summary>One node of a cluster on PostgreSQL: its own <c>Node:Id</c>, the shared database, plus <paramref name="extraArguments"/>.</summary>
    public static ServerUnderTest NodeOnPostgres(string dllPath, string nodeId, string connectionString, IReadOnlyList<string> extraArguments) =>
        new(nodeId, dllPath, _ =>
            ["--Store:Provider=Postgres", $"--Store:ConnectionString={connectionString}", $"--Node:Id={nodeId}", .. extraArguments]);

    public static ServerUnderTest Baseline(string dllPath) => new("baseline", dllPath, _ => []);

    public Task<ServerProcess> StartAsync(string signingKey, string apiKey, string workDirectory, IReadOnlyDictionary<string, string> extraEnvironment)
    {
        var dataDirectory = Path.Combine(workDirectory, Name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dataDirectory);
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Auth__SigningKey"] = signingKey,
            ["Api__Key"] = apiKey,
        };
        foreach (var (key, value) in extraEnvironment)
        {
            environment[key] = value;
        }
        return ServerProcess.StartAsync(DllPath, ArgumentsFor(dataDirectory), environment, Path.Combine(dataDirectory, "server.log"));
    }
}
