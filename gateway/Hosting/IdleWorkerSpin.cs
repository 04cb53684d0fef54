namespace OrleansSync.Gateway.Hosting;

/// <summary>
/// How long an idle thread-pool worker spins before it sleeps. The node's executable ships with 0 (its runtimeconfig
/// sets <see cref="Setting"/>, <c>silo/OrleansSync.Silo.csproj</c>; .NET's default is 70): a node shares its cores
/// with PostgreSQL, other nodes or, in the benchmark, the load generator, and a spinning worker takes CPU from them
/// exactly when they have work. Measured at 1,000 publishes/s on 2 cores (bench/README.md, 2026-12-07, third
/// session): 0.34–0.40 of a core against 0.53–0.55 with .NET's default, half the context switches, the same latency
/// and the same throughput at saturation. The runtime reads the value once, when its first worker
/// starts; <see cref="Variable"/> overrides it (hexadecimal, as every <c>DOTNET_</c> runtime variable).
/// </summary>
public static class IdleWorkerSpin
{
    /// <summary>The runtime's setting (runtimeconfig.json).</summary>
    public const string Setting = "System.Threading.ThreadPool.UnfairSemaphoreSpinLimit";

    /// <summary>The same as an environment variable; it wins over the runtimeconfig.</summary>
    public const string Variable = "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit";

    /// <summary>Where the spin limit this process runs with comes from, for the start-up log.</summary>
    public static string Describe() =>
        Environment.GetEnvironmentVariable(Variable) is { } variable ? $"{Variable}={variable} (hexadecimal)"
        : AppContext.GetData(Setting) is { } configured ? $"{Setting}={configured}"
        : "the runtime's default (70)";
}
