using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Providers;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService;
using Orleans.Storage;
using OrleansSync.Delivery;
using OrleansSync.Storage.Sqlite;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Gateway;

/// <summary>
/// Which Orleans providers a node's silo gets from its configuration: grain state (default and
/// <see cref="GrainStorageNames.Sessions"/>) and reminders on the node's store; membership on localhost for SQLite and
/// in the database for PostgreSQL.
/// </summary>
[Collection(nameof(PostgresServer))]
public sealed class SiloProvidersTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_postgres_nodes_silo_uses_orleans_adonet_storage_reminders_and_membership_in_the_database()
    {
        await using var node = await TestNode.StartAsync(StoreKind.Postgres);

        Assert.IsType<AdoNetGrainStorage>(node.App.Services.GetRequiredKeyedService<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME));
        Assert.IsType<AdoNetGrainStorage>(node.App.Services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Sessions));
        Assert.Equal("AdoNetReminderTable", node.Service<IReminderTable>().GetType().Name);
        Assert.IsType<AdoNetClusteringTable>(node.Service<IMembershipTable>());
        var liveness = node.Service<IOptions<ClusterMembershipOptions>>().Value;
        var configured = new OrleansSync.Gateway.Hosting.SiloOptions();
        Assert.Equal((configured.ProbeTimeout, configured.MaxProbeTimeout, configured.NumMissedProbesLimit, configured.IAmAliveTablePublishTimeout),
            (liveness.ProbeTimeout, liveness.MaxProbeTimeout, liveness.NumMissedProbesLimit, liveness.IAmAliveTablePublishTimeout));
        await Eventually.TrueAsync(async () => await node.QueryScalarAsync(
            $"SELECT COUNT(*) FROM orleans_membership WHERE deployment_id = 'orleanssync' AND status = {(int)SiloStatus.Active}") == 1,
            Patience, "the silo's row is active");
    }

    [Fact]
    public async Task A_sqlite_node_keeps_its_own_providers()
    {
        await using var node = await TestNode.StartAsync();

        Assert.IsType<SqliteGrainStorage>(node.App.Services.GetRequiredKeyedService<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME));
        Assert.IsType<SqliteGrainStorage>(node.App.Services.GetRequiredKeyedService<IGrainStorage>(GrainStorageNames.Sessions));
        Assert.IsType<SqliteReminderTable>(node.Service<IReminderTable>());
    }

    [Fact]
    public async Task An_advertised_address_that_is_not_an_ip_address_stops_a_postgres_nodes_start_with_its_name()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestNode.StartAsync(StoreKind.Postgres, ("Orleans:AdvertisedAddress", "node-a.local")));
        Assert.Contains("Orleans:AdvertisedAddress 'node-a.local' is not an IP address", error.Message);
    }

    [Fact]
    public async Task An_unknown_default_placement_stops_the_start_with_its_name_and_random_is_taken()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestNode.StartAsync(("Orleans:DefaultPlacement", "Nearest")));
        Assert.Contains("Orleans:DefaultPlacement is 'Nearest'", error.Message);

        await using var node = await TestNode.StartAsync(("Orleans:DefaultPlacement", "random"));
        Assert.IsType<Orleans.Runtime.RandomPlacement>(node.Service<Orleans.Runtime.PlacementStrategy>());
    }
}
