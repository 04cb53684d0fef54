using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Orleans.Runtime;
using OrleansSync.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using SiloOptions = OrleansSync.Gateway.Hosting.SiloOptions;

namespace OrleansSync.Tests.Cluster;

/// <summary>
/// Node processes in one Orleans cluster (membership in the database) on one real PostgreSQL database, one of them
/// killed with SIGKILL: the membership table says it is dead within the bound its liveness options give, and a silo
/// started meanwhile, while the dead one's row still says Active, joins and the survivor keeps serving; with no
/// survivor at all, a silo started right after the kill declares the dead one itself and joins.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class KilledSiloMembershipTests(ITestOutputHelper output)
{
    /// <summary>Shorter than the defaults, to keep the test short; the bound below follows from them.</summary>
    private static readonly SiloOptions Liveness = new()
    {
        ProbeTimeout = TimeSpan.FromMilliseconds(500),
        NumMissedProbesLimit = 3,
        IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(1),
    };

    /// <summary>The table reads and writes of a death declaration on a busy, shared machine.</summary>
    private static readonly TimeSpan TableWrites = TimeSpan.FromSeconds(5);

    private const int Active = (int)SiloStatus.Active;
    private const int Dead = (int)SiloStatus.Dead;

    [Fact]
    public Task A_killed_silo_is_declared_dead_in_time_and_a_silo_started_meanwhile_joins() => Cluster.RunAsync(output, async cluster =>
    {
        var (a, portA) = await StartSiloAsync(cluster, "silo-a");
        var (b, portB) = await StartSiloAsync(cluster, "silo-b");
        await Eventually.TrueAsync(async () => await StatusAsync(cluster, portA) == Active && await StatusAsync(cluster, portB) == Active,
            because: "both silos are active members");

        await b.KillAsync();
        var sinceKill = Stopwatch.StartNew();
        var startingC = StartSiloAsync(cluster, "silo-c"); // while b's row still says Active

        var bound = Liveness.KilledSiloDeclaredDeadWithin + TableWrites;
        await Eventually.TrueAsync(async () => await StatusAsync(cluster, portB) == Dead, bound, $"the killed silo is declared dead within {bound}");
        output.WriteLine($"declared dead {sinceKill.ElapsedMilliseconds} ms after the kill (bound {bound.TotalMilliseconds} ms)");

        var (c, portC) = await startingC;
        output.WriteLine($"the third silo was ready {sinceKill.ElapsedMilliseconds} ms after the kill");
        await Eventually.TrueAsync(async () => await StatusAsync(cluster, portC) == Active, because: "the third silo joined");
        Assert.Equal(Active, await StatusAsync(cluster, portA));
        Assert.Equal(2, await cluster.QueryScalarAsync($"SELECT COUNT(*) FROM orleans_membership WHERE status = {Active}"));

        await a.PublishOkAsync("erin", new { type = "added", id = "after-kill" });
        await c.PublishOkAsync("erin", new { type = "added", id = "on-the-newcomer" });
    });

    [Fact]
    public Task A_silo_started_right_after_the_only_other_silo_was_killed_joins() => Cluster.RunAsync(output, async cluster =>
    {
        var (a, portA) = await StartSiloAsync(cluster, "silo-a");
        await Eventually.TrueAsync(async () => await StatusAsync(cluster, portA) == Active, because: "the silo is an active member");

        await a.KillAsync();
        var sinceKill = Stopwatch.StartNew();
        var (c, portC) = await StartSiloAsync(cluster, "silo-c"); // a's row still says Active, and nobody is left to probe it
        output.WriteLine($"the new silo was ready {sinceKill.ElapsedMilliseconds} ms after the kill");

        Assert.Equal(Dead, await StatusAsync(cluster, portA));
        Assert.Equal(Active, await StatusAsync(cluster, portC));
        await c.PublishOkAsync("erin", new { type = "added", id = "on-the-newcomer" });
    });

    /// <summary>A node in the cluster's Orleans cluster, on a silo port of the test's choosing (its membership row's key).</summary>
    private static async Task<(ProcessNode Node, int SiloPort)> StartSiloAsync(Cluster cluster, string nodeId)
    {
        var siloPort = FreePort();
        var node = await cluster.StartNodeAsync(nodeId,
            ("Orleans:SiloPort", siloPort.ToString(CultureInfo.InvariantCulture)),
            ("Orleans:ProbeTimeout", Liveness.ProbeTimeout.ToString("c")),
            ("Orleans:NumMissedProbesLimit", Liveness.NumMissedProbesLimit.ToString(CultureInfo.InvariantCulture)),
            ("Orleans:IAmAliveTablePublishTimeout", Liveness.IAmAliveTablePublishTimeout.ToString("c")));
        return (node, siloPort);
    }

    /// <summary>The status of the membership row of the silo on <paramref name="siloPort"/> (-1 while it has none).</summary>
    private static Task<long> StatusAsync(Cluster cluster, int siloPort) =>
        cluster.QueryScalarAsync("SELECT COALESCE(MAX(status), -1) FROM orleans_membership WHERE port = @port", ("port", siloPort));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
