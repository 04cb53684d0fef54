using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace OrleansSync.Gateway.Hosting;

/// <summary>
/// <c>Node:InlineIo</c> (off by default; PostgreSQL nodes only): socket work runs on the socket engine's threads
/// instead of being handed to the thread pool. Each hand-off costs a wake-up, which on a machine shared by several
/// busy processes (PostgreSQL, other nodes) is a large part of what one delivery costs. (Idle pool workers that sleep
/// instead of spinning, which this setting also used to bring, are every node's default now: <see cref="IdleWorkerSpin"/>.)
/// The price: anything that blocks a socket thread stalls every socket it serves. PostgreSQL's driver, called
/// asynchronously, does not block; SQLite's calls are synchronous, so SQLite nodes refuse the setting.
/// </summary>
public static class InlineIo
{
    /// <summary>The configuration key.</summary>
    public const string Setting = "Node:InlineIo";

    /// <summary>The runtime's switch for inline socket completions, read once, when the first socket is made.</summary>
    private const string RuntimeSocketsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Whether the configuration asks for it.</summary>
    private static bool IsRequested(IConfiguration configuration) => configuration.GetValue<bool>(Setting);

    /// <summary>
    /// Kestrel's part (per host): request and WebSocket code runs where the socket completes. Throws, naming the
    /// setting, when the store is not PostgreSQL.
    /// </summary>
    internal static void ConfigureKestrel(WebApplicationBuilder builder, bool postgres)
    {
        if (!IsRequested(builder.Configuration))
        {
            return;
        }
        if (!postgres)
        {
            throw new InvalidOperationException(
                $"{Setting}=true needs Store:Provider=Postgres: SQLite's calls are synchronous and would stall every socket of the node.");
        }
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
    }

    /// <summary>
    /// The runtime's part, for the whole process: only the node's executable calls this, before the host is built
    /// (the runtime reads it once, at the first socket). Returns what was applied, for the start-up log; nothing when
    /// the setting is off.
    /// </summary>
    public static string? ApplyToProcess(IConfiguration configuration)
    {
        if (!IsRequested(configuration))
        {
            return null;
        }
        if (Environment.GetEnvironmentVariable(RuntimeSocketsVariable) is null)
        {
            Environment.SetEnvironmentVariable(RuntimeSocketsVariable, "1");
        }
        return $"socket continuations inline ({RuntimeSocketsVariable}={Environment.GetEnvironmentVariable(RuntimeSocketsVariable)})";
    }
}
