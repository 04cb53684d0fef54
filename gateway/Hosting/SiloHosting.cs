using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Dashboard;
using OrleansSync.Gateway.Ops.Dashboard;
using OrleansSync.Delivery;
using OrleansSync.Storage;
using OrleansSync.Storage.Postgres;
using OrleansSync.Storage.Sqlite;

namespace OrleansSync.Gateway.Hosting;

/// <summary>
/// The Orleans silo co-hosted with the gateway in this process. Membership follows the store: on SQLite the node is a
/// cluster of one silo (localhost clustering); on PostgreSQL Orleans membership lives in the store's database, so every
/// node on it joins one Orleans cluster, and a grain runs once in the whole cluster wherever it is called from.
/// </summary>
public static class SiloHosting
{
    /// <summary>How often a separate gateway re-reads the silos' client gateways from the membership table.</summary>
    public static readonly TimeSpan ClientGatewayListRefresh = TimeSpan.FromSeconds(2);

    /// <summary>Orleans' service id: what keys grain state and reminders in the database, the same across restarts.</summary>
    public const string ServiceId = "orleanssync";

    /// <summary>The cluster id of the silos that share a PostgreSQL database (Orleans membership in it).</summary>
    public const string SharedClusterId = "orleanssync";

    /// <summary>
    /// Whether this node hosts a silo. Every node does, except a gateway-only node (<c>Node:Roles=Gateway</c>) on
    /// PostgreSQL: that one is an Orleans client of the cluster (<see cref="AddOrleansClusterClient"/>), holding sockets and
    /// no grains. (On SQLite a node is the whole cluster, so it always hosts its silo.)
    /// </summary>
    public static bool HostsSilo(IConfiguration configuration) =>
        !StoreFactory.IsPostgres(configuration[$"{StoreOptions.SectionName}:{nameof(StoreOptions.Provider)}"])
        || new OrleansSync.Cluster.NodeRoles(configuration["Node:Roles"]).Silo;

    /// <summary>Adds this node's part of Orleans: its silo, or, for a gateway-only node on PostgreSQL, a client of the cluster.</summary>
    public static WebApplicationBuilder AddOrleans(this WebApplicationBuilder builder) =>
        HostsSilo(builder.Configuration) ? builder.AddOrleansSilo() : builder.AddOrleansClusterClient();

    /// <summary>
    /// Makes this process an Orleans client of the PostgreSQL cluster: it finds the silos' client gateways in the membership
    /// table and calls grains through them; grains reach its sockets through the gateway observer, created on the client.
    /// It waits at start until a silo answers.
    /// </summary>
    public static WebApplicationBuilder AddOrleansClusterClient(this WebApplicationBuilder builder)
    {
        var store = builder.Configuration.GetSection(StoreOptions.SectionName).Get<StoreOptions>() ?? new StoreOptions();
        builder.UseOrleansClient(client =>
        {
            client.UsePostgresClustering(StoreFactory.PostgresConnectionString(store));
            client.Configure<ClusterOptions>(cluster =>
            {
                cluster.ServiceId = ServiceId;
                cluster.ClusterId = SharedClusterId;
            });
            // The client learns silos that joined after it, and forgets dead ones, by re-reading the table: often, so that
            // when the silo it talks to dies it finds another within seconds (Orleans' default is a minute).
            client.Configure<GatewayOptions>(gateways => gateways.GatewayListRefreshPeriod = ClientGatewayListRefresh);
        });
        return builder;
    }

    /// <summary>Adds the silo (grains, timers, observers) to the web host, configured from <c>Orleans</c> and <c>Grains</c>.</summary>
    public static WebApplicationBuilder AddOrleansSilo(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var silo = configuration.GetSection(SiloOptions.SectionName).Get<SiloOptions>() ?? new SiloOptions();
        var grains = configuration.GetSection(GrainOptions.SectionName).Get<GrainOptions>() ?? new GrainOptions();
        var store = configuration.GetSection(StoreOptions.SectionName).Get<StoreOptions>() ?? new StoreOptions();
        var adoNetMembership = StoreFactory.IsPostgres(store.Provider);
        var siloPort = silo.SiloPort > 0 ? silo.SiloPort : FreeLoopbackPort();
        // On PostgreSQL every silo serves Orleans clients (gateway-only nodes), on a free port unless one is set.
        var gatewayPort = silo.GatewayPort > 0 || !adoNetMembership ? silo.GatewayPort : FreeLoopbackPort();
        builder.UseOrleans(orleans =>
        {
            if (adoNetMembership)
            {
                orleans.UsePostgresClustering(StoreFactory.PostgresConnectionString(store));
                orleans.Configure<ClusterOptions>(cluster =>
                {
                    cluster.ServiceId = ServiceId;
                    cluster.ClusterId = SharedClusterId;
                });
                // Loopback by default (one machine, nothing reachable from outside); an advertised address other nodes can
                // reach spans machines, and the silo then listens on every interface.
                var advertised = silo.AdvertisedIPAddress();
                orleans.ConfigureEndpoints(advertised, siloPort, gatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(advertised));
                orleans.Configure<ClusterMembershipOptions>(membership => ConfigureLiveness(membership, silo));
            }
            else
            {
                orleans.UseLocalhostClustering(siloPort, silo.GatewayPort, new IPEndPoint(IPAddress.Loopback, siloPort),
                    serviceId: ServiceId, clusterId: $"{ServiceId}-{siloPort}"); // a cluster of its own
            }
            // Every grain call here is local and answered or re-sent by the protocol itself: no call needs a time to live
            // (setting one reads the clock for every message).
            orleans.Configure<SiloMessagingOptions>(messaging => messaging.DropExpiredMessages = false);
            orleans.Configure<GrainCollectionOptions>(collection =>
            {
                collection.CollectionAge = grains.IdleTimeout;
                collection.CollectionQuantum = grains.IdleCheckInterval;
            });
            if (StoreFactory.IsSqlite(store.Provider))
            {
                // Orleans' grain state and reminders in the node's own SQLite file (providers of our own: see their summaries).
                var file = StoreFactory.SqliteConnectionString(store);
                orleans.AddSqliteGrainStorageAsDefault(file);
                orleans.AddSqliteGrainStorage(GrainStorageNames.Sessions, file);
                orleans.UseSqliteReminders(file);
            }
            else if (StoreFactory.IsPostgres(store.Provider))
            {
                // Orleans' own ADO.NET providers, on the tables and queries of the store's schema (OrleansSchema). The
                // reminder ring is shared by the cluster's silos: each reminder fires on one of them.
                var database = StoreFactory.PostgresConnectionString(store);
                orleans.AddPostgresGrainStorageAsDefault(database);
                orleans.AddPostgresGrainStorage(GrainStorageNames.Sessions, database);
                orleans.UsePostgresReminders(database);
            }
            orleans.Configure<ReminderOptions>(reminders => reminders.MinimumReminderPeriod = grains.MinimumReminderPeriod);
            if (DefaultPlacement(silo) is { } placement)
            {
                orleans.Services.AddSingleton(placement); // Orleans takes the last PlacementStrategy registered as the default
            }
            if (OrleansDashboard.IsServed(silo, builder.Environment, configuration))
            {
                orleans.AddDashboard();
            }
        });
        return builder;
    }

    /// <summary><c>Orleans:DefaultPlacement</c> as a strategy; null for Orleans' own default. Anything else stops the start.</summary>
    private static PlacementStrategy? DefaultPlacement(SiloOptions silo) => silo.DefaultPlacement.ToLowerInvariant() switch
    {
        "resourceoptimized" => null,
        "random" => new RandomPlacement(),
        _ => throw new InvalidOperationException(
            $"Orleans:DefaultPlacement is '{silo.DefaultPlacement}'; use ResourceOptimized (the default) or Random."),
    };

    /// <summary>
    /// How fast a silo killed without a goodbye (kill -9) is declared dead on PostgreSQL: see
    /// <see cref="SiloOptions.KilledSiloDeclaredDeadWithin"/>. A lone survivor declares it alone (Orleans needs
    /// min(NumVotesForDeathDeclaration, half the active silos rounded up) votes: 1 of 2); with more survivors the last
    /// probe goes through another silo, and its failure carries both votes (Orleans' default 2), so one round suffices.
    /// A silo starting meanwhile is not stopped by the dead one's Active row: Orleans always checks it can reach every
    /// Active silo before it becomes Active itself (there is no ValidateInitialConnectivity switch any more), retrying
    /// every ProbeTimeout and re-reading the table, so it waits until a survivor has declared the dead one dead
    /// (or, with no survivor, until it does so itself once the row is stale) rather than failing.
    /// </summary>
    private static void ConfigureLiveness(ClusterMembershipOptions membership, SiloOptions silo)
    {
        membership.ProbeTimeout = silo.ProbeTimeout;
        membership.MaxProbeTimeout = silo.MaxProbeTimeout;
        membership.NumMissedProbesLimit = silo.NumMissedProbesLimit;
        membership.IAmAliveTablePublishTimeout = silo.IAmAliveTablePublishTimeout;
    }

    /// <summary>A port nobody listens on now (the OS picks it); the silo binds it a moment later.</summary>
    private static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
