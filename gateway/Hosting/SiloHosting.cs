using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Dashboard;
using OrleansSync.Gateway.Ops.Dashboard;
using OrleansSync.Storage;
using OrleansSync.Storage.Sqlite;

namespace OrleansSync.Gateway.Hosting;

/// <summary>
/// The Orleans silo co-hosted with the gateway in this process. Each node is a cluster of one silo (localhost
/// clustering): the nodes of a PostgreSQL deployment still find each other through the store's own cluster layer.
/// </summary>
public static class SiloHosting
{
    /// <summary>Adds the silo (grains, timers, observers) to the web host, configured from <c>Orleans</c> and <c>Grains</c>.</summary>
    public static WebApplicationBuilder AddOrleansSilo(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var silo = configuration.GetSection(SiloOptions.SectionName).Get<SiloOptions>() ?? new SiloOptions();
        var grains = configuration.GetSection(GrainOptions.SectionName).Get<GrainOptions>() ?? new GrainOptions();
        var siloPort = silo.SiloPort > 0 ? silo.SiloPort : FreeLoopbackPort();
        builder.UseOrleans(orleans =>
        {
            orleans.UseLocalhostClustering(siloPort, silo.GatewayPort, new IPEndPoint(IPAddress.Loopback, siloPort),
                serviceId: "orleanssync", clusterId: $"orleanssync-{siloPort}"); // a cluster of its own
            // Every grain call here is local and answered or re-sent by the protocol itself: no call needs a time to live
            // (setting one reads the clock for every message).
            orleans.Configure<SiloMessagingOptions>(messaging => messaging.DropExpiredMessages = false);
            orleans.Configure<GrainCollectionOptions>(collection =>
            {
                collection.CollectionAge = grains.IdleTimeout;
                collection.CollectionQuantum = grains.IdleCheckInterval;
            });
            var store = configuration.GetSection(StoreOptions.SectionName).Get<StoreOptions>() ?? new StoreOptions();
            if (string.Equals(store.Provider, "Sqlite", StringComparison.OrdinalIgnoreCase))
            {
                // Orleans' grain state and reminders in the node's own SQLite file (providers of our own: see their summaries).
                var file = StoreFactory.SqliteConnectionString(store);
                orleans.AddSqliteGrainStorageAsDefault(file);
                orleans.UseSqliteReminders(file);
            }
            else
            {
                // Each PostgreSQL node is still a cluster of its own: its reminders (the sweeper's) live with it.
                orleans.UseInMemoryReminderService();
            }
            orleans.Configure<ReminderOptions>(reminders => reminders.MinimumReminderPeriod = grains.MinimumReminderPeriod);
            if (OrleansDashboard.IsServed(silo, builder.Environment, configuration))
            {
                orleans.AddDashboard();
            }
        });
        return builder;
    }

    /// <summary>A port nobody listens on now (the OS picks it); the silo binds it a moment later.</summary>
    private static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
