using OrleansSync.Bench.Wire;

namespace OrleansSync.Bench;

/// <summary>
/// How to start one of the servers and speak to it: the real node (durable SQLite or PostgreSQL), the bare
/// baseline, or a peer (SignalR, Socket.IO). <paramref name="Program"/> runs <paramref name="EntryPath"/>
/// (<c>dotnet server.dll</c>, <c>node server.js</c>) with <c>--urls</c> and the server's own arguments.
/// </summary>
public sealed record ServerUnderTest(string Name, string Program, string EntryPath, Func<string, IReadOnlyList<string>> ArgumentsFor, Func<WireSession> NewSession)
{
    /// <summary>Cluster mode: clients connect to it (false: a silo node behind a separate gateway).</summary>
    public bool TakesSockets { get; init; } = true;

    /// <summary>Cluster mode: publishes go to it (false: a separate gateway, which serves no <c>/api</c>).</summary>
    public bool TakesPublishes { get; init; } = true;

    /// <summary>Cluster mode: killed (<c>kill -9</c>) in the middle of the run, which then measures the failover instead of the load phases.</summary>
    public bool KilledDuringRun { get; init; }

    /// <summary>The node in Production with explicit keys and a fresh SQLite file under <c>dataDirectory</c>, plus <paramref name="extraArguments"/>.</summary>
    public static ServerUnderTest Node(string dllPath, IReadOnlyList<string> extraArguments) => new("node", "dotnet", dllPath, dataDirectory =>
        [$"--Store:ConnectionString=Data Source={Path.Combine(dataDirectory, "node.db")}", .. extraArguments], () => new NodeWire());

    /// <summary>One node of a cluster on PostgreSQL: its own <c>Node:Id</c>, the shared database, plus <paramref name="extraArguments"/>.</summary>
    public static ServerUnderTest NodeOnPostgres(string dllPath, string nodeId, string connectionString, IReadOnlyList<string> extraArguments) =>
        new(nodeId, "dotnet", dllPath, _ =>
            ["--Store:Provider=Postgres", $"--Store:ConnectionString={connectionString}", $"--Node:Id={nodeId}", .. extraArguments], () => new NodeWire());

    public static ServerUnderTest Baseline(string dllPath) => new("baseline", "dotnet", dllPath, _ => [], () => new NodeWire());

    /// <summary>ASP.NET Core SignalR with stateful reconnect (<c>bench/peers/signalr</c>).</summary>
    public static ServerUnderTest SignalR(string dllPath) => new("signalr", "dotnet", dllPath, _ => [], () => new SignalRWire());

    /// <summary>Socket.IO 4.8 on Node with connection state recovery (<c>bench/peers/socketio</c>).</summary>
    public static ServerUnderTest SocketIo(string scriptPath) => new("socketio", "node", scriptPath, _ => [], () => new SocketIoWire());

    public Task<ServerProcess> StartAsync(string signingKey, string apiKey, string workDirectory, IReadOnlyDictionary<string, string> extraEnvironment)
    {
        var dataDirectory = Path.Combine(workDirectory, Name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dataDirectory);
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["NODE_ENV"] = "production",
            ["Auth__SigningKey"] = signingKey,
            ["Api__Key"] = apiKey,
        };
        foreach (var (key, value) in extraEnvironment)
        {
            environment[key] = value;
        }
        return ServerProcess.StartAsync(Program, EntryPath, ArgumentsFor(dataDirectory), environment, Path.Combine(dataDirectory, "server.log"));
    }
}
