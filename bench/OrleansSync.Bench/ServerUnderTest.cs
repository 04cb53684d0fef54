namespace OrleansSync.Bench;

/// <summary>How to start one of the two servers: the real node (durable SQLite) or the bare baseline.</summary>
public sealed record ServerUnderTest(string Name, string DllPath, Func<string, IReadOnlyList<string>> ArgumentsFor)
{
    /// <summary>The node in Production with explicit keys and a fresh SQLite file under <c>dataDirectory</c>.</summary>
    public static ServerUnderTest Node(string dllPath) => new("node", dllPath, dataDirectory =>
        [$"--Store:ConnectionString=Data Source={Path.Combine(dataDirectory, "node.db")}"]);

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
