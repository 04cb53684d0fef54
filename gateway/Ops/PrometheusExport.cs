using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OrleansSync.Diagnostics;
using OrleansSync.Gateway.Ops.Dashboard;

namespace OrleansSync.Gateway.Ops;

/// <summary>
/// <c>/metrics</c> through OpenTelemetry's meter provider and its Prometheus exporter (why this library and not
/// prometheus-net: docs/OPERATIONS.md). The provider reads the node's meter <see cref="SyncMetrics.MeterName"/>, Orleans'
/// meter and the runtime's own <c>System.Runtime</c> meter; the dashboard is a second reader of the same provider.
/// </summary>
public static class PrometheusExport
{
    /// <summary>The runtime's built-in meter (GC, JIT, thread pool, CPU, working set): observed only at collection.</summary>
    public const string RuntimeMeterName = "System.Runtime";

    /// <summary>Orleans' own meter (activations, messaging, grain calls), created by the silo's meter factory; exported on request (<c>Metrics:Orleans</c>).</summary>
    public const string OrleansMeterName = "Microsoft.Orleans";

    /// <summary>Registers the meter provider, the Prometheus exporter and, if the dashboard is served, its reader.</summary>
    /// <param name="services">The node's services.</param>
    /// <param name="withOrleans">Also export <see cref="OrleansMeterName"/> (<c>Metrics:Orleans</c>).</param>
    /// <param name="withDashboard">
    /// Add the dashboard's reader. Each reader aggregates every measurement on its own, and the dashboard collects every
    /// second: a node whose dashboard is off pays for neither.
    /// </param>
    public static IServiceCollection AddPrometheusExport(this IServiceCollection services, bool withOrleans, bool withDashboard)
    {
        if (withDashboard)
        {
            services.AddSingleton<DashboardMetricsReader>();
        }
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(withOrleans ? [SyncMetrics.MeterName, RuntimeMeterName, OrleansMeterName] : [SyncMetrics.MeterName, RuntimeMeterName])
            .AddPrometheusExporter(options =>
            {
                // Series carry exactly the documented tags (no otel_scope_* labels, no target_info family).
                options.ScopeInfoEnabled = false;
                options.TargetInfoEnabled = false;
                // Every scrape is a fresh collection, as a scraper and the tests expect.
                options.ScrapeResponseCacheDurationMilliseconds = 0;
            }));
        services.ConfigureOpenTelemetryMeterProvider((sp, metrics) =>
        {
            // Every node's meters have the same names, and several nodes may share a process (tests): read only the
            // meters this node's IMeterFactory created (SyncMetrics and the co-hosted silo take it from the same container).
            var factory = sp.GetRequiredService<IMeterFactory>();
            metrics.AddView(instrument => instrument.Meter.Name is SyncMetrics.MeterName or OrleansMeterName
                                          && !ReferenceEquals(instrument.Meter.Scope, factory)
                ? MetricStreamConfiguration.Drop
                : null);
            if (sp.GetService<DashboardMetricsReader>() is { } dashboard)
            {
                metrics.AddReader(dashboard.Reader);
            }
        });
        return services;
    }

    /// <summary>Maps <c>GET /metrics</c>: the exporter when <paramref name="enabled"/>, else a 404 that says why.</summary>
    public static void MapPrometheusExport(this IEndpointRouteBuilder endpoints, bool enabled)
    {
        if (!enabled)
        {
            endpoints.MapGet("/metrics", () => Results.Text("metrics are disabled (Metrics:Enabled=false)\n", statusCode: StatusCodes.Status404NotFound));
            return;
        }
        endpoints.MapPrometheusScrapingEndpoint("/metrics", meterProvider: null, configureBranchedPipeline: pipeline => pipeline.Use((context, next) =>
            {
                context.Response.Headers.CacheControl = "no-store";
                return next(context);
            }), optionsName: null)
            .WithMetadata(new HttpMethodMetadata([HttpMethods.Get]));
    }
}
