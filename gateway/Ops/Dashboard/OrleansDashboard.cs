using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Orleans.Dashboard;
using OrleansSync.Gateway.Hosting;

namespace OrleansSync.Gateway.Ops.Dashboard;

/// <summary>
/// Orleans' own dashboard (silos, grains, calls, reminders, its live log) under <see cref="Path"/>, and a page at
/// <see cref="FramePath"/> that shows it below a link back to the delivery dashboard. It has no authentication of its
/// own and shows grain state and logs, so every one of its routes passes <see cref="DashboardAccess"/> first: the same
/// key, header or sign-in cookie (whose path covers it) as <c>/dashboard</c>.
/// </summary>
public static class OrleansDashboard
{
    /// <summary>Where Orleans' dashboard is mapped (its page is <c>Path + "/"</c>).</summary>
    public const string Path = "/dashboard/orleans";

    /// <summary>The page that frames it under a link back to the delivery dashboard.</summary>
    public const string FramePath = "/dashboard/cluster";

    /// <summary>True if this node serves it: it hosts a silo, <c>Orleans:Dashboard</c> is on, and the delivery dashboard is served.</summary>
    public static bool IsServed(SiloOptions silo, IHostEnvironment environment, IConfiguration configuration) =>
        silo.Dashboard && SiloHosting.HostsSilo(configuration) && DashboardAccess.ModeFor(environment, configuration[$"{AdminOptions.SectionName}:{nameof(AdminOptions.Key)}"]) != DashboardMode.Disabled;

    /// <summary>Maps Orleans' routes and the frame page, each behind the dashboard's access rule.</summary>
    public static void MapOrleansDashboardBehindAccess(this IEndpointRouteBuilder endpoints, DashboardAccess access)
    {
        // Wrong keys sent here count against the same sign-in limit as on /dashboard.
        endpoints.MapOrleansDashboard(Path).RequireRateLimiting(DashboardKeyAttempts.PolicyName).AddEndpointFilter(async (context, next) =>
            access.IsAllowed(context.HttpContext) ? await next(context) : DashboardAccess.Refused());
        endpoints.MapGet(FramePath, (HttpContext context) =>
        {
            if (!access.IsAllowed(context))
            {
                return DashboardAccess.Refused();
            }
            context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; frame-src 'self'; frame-ancestors 'none'";
            return Results.Content(FramePage, "text/html; charset=utf-8");
        }).RequireRateLimiting(DashboardKeyAttempts.PolicyName);
    }


    private const string FramePage = $"""
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>OrleansSync · Orleans dashboard</title>
          <link rel="stylesheet" href="/dashboard/dashboard.css">
        </head>
        <body class="framed">
          <header><h1>OrleansSync</h1><a class="back" href="/dashboard">← delivery dashboard</a></header>
          <iframe src="{Path}/" title="Orleans dashboard"></iframe>
        </body>
        </html>
        """;
}
