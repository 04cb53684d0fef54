using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using OrleansSync.Storage.Postgres;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Storage;

/// <summary>
/// Orleans membership through Orleans' ADO.NET clustering on the project's PostgreSQL schema: two silos started in this
/// process (real TCP between them on loopback) on one fresh database form one cluster, see each other, and notice one of
/// them leaving; the table holds a row per silo with its status.
/// </summary>
[Collection(nameof(PostgresServer))]
public sealed class PostgresOrleansMembershipTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private const int Active = (int)SiloStatus.Active;
    private const int Dead = (int)SiloStatus.Dead;

    [Fact]
    public async Task Two_silos_on_one_database_form_one_cluster_and_one_leaving_is_noticed()
    {
        var server = await PostgresServer.GetAsync();
        var database = await server.CreateDatabaseAsync();
        var connectionString = server.ConnectionString(database);
        var hosts = new List<IHost>();
        try
        {
            // Started together: both migrate the empty database at once, then join.
            var first = StartSiloAsync(connectionString, "silo-a");
            var second = StartSiloAsync(connectionString, "silo-b");
            hosts.AddRange(await Task.WhenAll(first, second));
            var (a, b) = (hosts[0], hosts[1]);
            var addressOfB = SiloAddressOf(b);

            await Eventually.TrueAsync(() => ActiveSilos(a).Count == 2 && ActiveSilos(b).Count == 2, Patience, "each silo sees both active");
            Assert.Equal(ActiveSilos(a), ActiveSilos(b));
            Assert.Contains(addressOfB, ActiveSilos(a));
            Assert.Equal(2, await CountAsync(connectionString, $"SELECT COUNT(*) FROM orleans_membership WHERE status = {Active}"));
            Assert.Equal(2, await CountAsync(connectionString,
                "SELECT COUNT(DISTINCT silo_name) FROM orleans_membership WHERE silo_name IN ('silo-a', 'silo-b')"));
            Assert.True(await CountAsync(connectionString, "SELECT MAX(version) FROM orleans_membership_version") >= 2,
                "every join raised the table version");

            await b.StopAsync();
            hosts.Remove(b);
            b.Dispose();

            await Eventually.TrueAsync(() => !ActiveSilos(a).Contains(addressOfB), Patience, "silo a notices silo b left");
            Assert.Equal(SiloStatus.Dead, a.Services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.GetSiloStatus(addressOfB));
            Assert.Equal(1, await CountAsync(connectionString,
                $"SELECT COUNT(*) FROM orleans_membership WHERE status = {Dead} AND port = @port", ("port", addressOfB.Endpoint.Port)));
            Assert.Equal(1, await CountAsync(connectionString, $"SELECT COUNT(*) FROM orleans_membership WHERE status = {Active}"));
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.StopAsync();
                host.Dispose();
            }
            await server.DropDatabaseAsync(database);
        }
    }

    /// <summary>A silo of cluster "membership-test" on <paramref name="connectionString"/>, on a free loopback port.</summary>
    private static async Task<IHost> StartSiloAsync(string connectionString, string name)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleans(silo => silo
            .UsePostgresClustering(connectionString)
            .Configure<ClusterOptions>(cluster =>
            {
                cluster.ClusterId = "membership-test";
                cluster.ServiceId = "membership-test";
            })
            .Configure<SiloOptions>(options => options.SiloName = name)
            .ConfigureEndpoints(IPAddress.Loopback, FreePort(), 0));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static SiloAddress SiloAddressOf(IHost host) => host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;

    private static List<SiloAddress> ActiveSilos(IHost host) =>
        host.Services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.Members.Values
            .Where(member => member.Status == SiloStatus.Active).Select(member => member.SiloAddress).OrderBy(address => address.ToString()).ToList();

    private static Task<long> CountAsync(string connectionString, string sql, params (string Name, object Value)[] parameters) =>
        StoreProbe.ScalarAsync(StoreKind.Postgres, connectionString, sql, parameters);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
