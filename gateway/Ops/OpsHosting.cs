using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSync.Delivery;
using OpenTelemetry.Metrics;
using OrleansSync.Diagnostics;
using OrleansSync.Gateway.Hosting;
using OrleansSync.Gateway.Ops.Dashboard;
using OrleansSync.Gateway.Sockets;
using OrleansSync.Cluster;
using OrleansSync.Storage.Ado;

namespace OrleansSync.Gateway.Ops;

/// <summary>Composition of the ops surface: node id, metrics, exporter, health, readiness, dashboard.</summary>
public static partial class OpsHosting
{
    /// <summary>Registers the ops services from configuration (<c>Node</c>, <c>Metrics</c>, <c>Admin</c>).</summary>
    public static WebApplicationBuilder AddOrleansSyncOps(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var services = builder.Services;
        services.AddOptions<NodeOptions>().Bind(configuration.GetSection(NodeOptions.SectionName)).PostConfigure(node =>
        {
            if (string.IsNullOrWhiteSpace(node.Id))
            {
                node.Id = NodeIdentity.Default(configuration[WebHostDefaults.ServerUrlsKey]);
            }
            if (string.IsNullOrWhiteSpace(node.Address))
            {
                node.Address = NodeIdentity.DefaultAddress(configuration[WebHostDefaults.ServerUrlsKey]);
            }
        });
        services.AddOptions<AdminOptions>().Bind(configuration.GetSection(AdminOptions.SectionName));

        // Decided here, once: with metrics off there is no meter provider at all (nothing listens, nothing to export).
        var metricsOptions = configuration.GetSection(MetricsOptions.SectionName).Get<MetricsOptions>() ?? new MetricsOptions();
        var metricsEnabled = metricsOptions.Enabled;
        if (metricsEnabled)
        {
            var dashboard = DashboardAccess.ModeFor(builder.Environment, configuration[$"{AdminOptions.SectionName}:{nameof(AdminOptions.Key)}"]);
            services.AddPrometheusExport(metricsOptions.Orleans, withDashboard: dashboard != DashboardMode.Disabled);
        }
        services.AddSingleton(sp =>
        {
            // The provider listens before the instruments exist, so the counters' first (zero) values are exported.
            sp.GetService<MeterProvider>();
            return new SyncMetrics(sp.GetRequiredService<IOptions<NodeOptions>>().Value.Id!, metricsEnabled,
                sp.GetRequiredService<TimeProvider>(), sp.GetService<IMeterFactory>());
        });
        // No DashboardMetricsReader when metrics are disabled (the dashboard then shows gauges only) or the dashboard is off.
        services.AddSingleton(sp => new DashboardSampler(sp.GetService<DashboardMetricsReader>(), sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService(sp => sp.GetRequiredService<DashboardSampler>());
        services.AddSingleton<OrleansMembershipReader>();
        services.AddSingleton(sp => new DashboardStatsBuilder(sp.GetRequiredService<SyncMetrics>(), sp.GetService<DashboardMetricsReader>(),
            sp.GetRequiredService<DashboardSampler>(), sp.GetRequiredService<IRoomStats>(), sp.GetRequiredService<INodeStore>(),
            sp.GetRequiredService<OrleansMembershipReader>(), sp.GetRequiredService<NodeRoles>(), sp.GetRequiredService<RecentLogBuffer>(),
            sp.GetRequiredService<IHostEnvironment>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<IRoomStats>(sp => (IRoomStats)sp.GetRequiredService<OrleansSync.Conversations.IConversationStore>());
        services.AddSingleton<DashboardAccess>();
        services.AddOptions<AdminOptions>().Validate(o => { o.Validate(); return true; }).ValidateOnStart();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy<string, DashboardKeyAttempts>(DashboardKeyAttempts.PolicyName);
        });
        services.AddSingleton<ReadinessCheck>();

        services.AddSingleton<RecentLogBuffer>();
        services.AddSingleton<ILoggerProvider, RecentLogLoggerProvider>();
        // The dashboard's own level rules, whatever the console's are: warnings and up, plus rejected frames.
        builder.Logging.AddFilter<RecentLogLoggerProvider>(null, LogLevel.Warning);
        builder.Logging.AddFilter<RecentLogLoggerProvider>(typeof(SocketConnection).FullName, LogLevel.Information);
        return builder;
    }

    /// <summary>
    /// Wires the gauges to their sources, creates the instruments (before any traffic), and maps
    /// <c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c> and, when allowed, <c>/dashboard</c>.
    /// </summary>
    public static void MapOrleansSyncOps(this WebApplication app)
    {
        var services = app.Services;
        var metrics = services.GetRequiredService<SyncMetrics>();
        var sockets = services.GetRequiredService<SocketRegistry>();
        metrics.ObserveOpenSockets(() => sockets.Count);
        services.GetRequiredService<AdoSessionStore>().BatchCommitted += metrics.BatchCommitted;
        metrics.ObserveSessions(services.GetRequiredService<AttachedSessions>());
        services.GetRequiredService<DashboardStatsBuilder>(); // its clock of the node's uptime starts now

        app.MapOpsEndpoints();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OpsHosting).FullName!);
        var access = services.GetRequiredService<DashboardAccess>();
        if (access.Mode == DashboardMode.Disabled)
        {
            Log.DashboardDisabled(logger, app.Environment.EnvironmentName);
        }
        else
        {
            app.UseRateLimiter(); // only the dashboard's endpoints carry a policy
            app.MapDashboard();
            Log.DashboardEnabled(logger, access.Mode == DashboardMode.Open ? "open (Development)" : "Admin:Key required");
            var silo = app.Configuration.GetSection(SiloOptions.SectionName).Get<SiloOptions>() ?? new SiloOptions();
            if (OrleansDashboard.IsServed(silo, app.Environment, app.Configuration))
            {
                app.MapOrleansDashboardBehindAccess(access);
            }
        }
        Log.MetricsState(logger, metrics.NodeId, metrics.Enabled ? "enabled at /metrics" : "disabled (Metrics:Enabled=false)");
    }
}
