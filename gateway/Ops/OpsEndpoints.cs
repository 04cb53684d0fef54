using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OrleansSync.Diagnostics;
using OrleansSync.Gateway.Ops.Dashboard;

namespace OrleansSync.Gateway.Ops;

/// <summary><c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c>: open to anyone (probes and scrapers carry no key).</summary>
public static class OpsEndpoints
{
    /// <summary>Maps the three endpoints.</summary>
    public static IEndpointRouteBuilder MapOpsEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // Liveness: the process serves HTTP. Nothing else is checked, so a slow store never gets the node restarted.
        endpoints.MapGet("/healthz", () => Results.Text("ok"));
        endpoints.MapGet("/readyz", ReadyAsync);
        endpoints.MapPrometheusExport(endpoints.ServiceProvider.GetRequiredService<SyncMetrics>().Enabled);
        return endpoints;
    }

    private static async Task<IResult> ReadyAsync(ReadinessCheck readiness, CancellationToken cancellationToken)
    {
        var result = await readiness.CheckAsync(cancellationToken);
        return result.Ready
            ? Results.Json(new ReadinessBody("ready", null), OpsJsonContext.Default.ReadinessBody)
            : Results.Json(new ReadinessBody("unavailable", result.Reason), OpsJsonContext.Default.ReadinessBody,
                statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
