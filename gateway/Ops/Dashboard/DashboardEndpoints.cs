using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OrleansSync.Gateway.Client;
using OrleansSync.Gateway.Http;

namespace OrleansSync.Gateway.Ops.Dashboard;

/// <summary>
/// The live dashboard: a page with its script and style (embedded in this assembly, no CDN), and the JSON it polls
/// each second. Guarded by <see cref="DashboardAccess"/>: without access, the page answers 401 with a form that asks
/// for the admin key and sets a cookie; the JSON answers 401.
/// </summary>
public static class DashboardEndpoints
{
    private const string ResourcePrefix = "OrleansSync.Dashboard.";
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>The sign-in form carries one key: a larger body is refused (413) before it is read.</summary>
    private const long LoginBodyBytes = 4 * 1024;

    private static readonly ConcurrentDictionary<string, byte[]> Assets = new(StringComparer.Ordinal);

    /// <summary>
    /// Maps <c>/dashboard</c>, its assets, <c>/dashboard/api/stats</c> and <c>/dashboard/login</c>, all under the
    /// <see cref="DashboardKeyAttempts"/> limit (the caller adds ASP.NET's rate limiting middleware).
    /// </summary>
    public static void MapDashboard(this IEndpointRouteBuilder endpoints)
    {
        var dashboard = endpoints.MapGroup("/dashboard").RequireRateLimiting(DashboardKeyAttempts.PolicyName);
        dashboard.MapGet("", (HttpContext context, DashboardAccess access) =>
            access.IsAllowed(context) ? Asset(context, "dashboard.html", "text/html; charset=utf-8") : LoginPage(context, wrongKey: false));
        dashboard.MapGet("/dashboard.js", (HttpContext context, DashboardAccess access) =>
            access.IsAllowed(context) ? Asset(context, "dashboard.js", "text/javascript; charset=utf-8") : Results.Unauthorized());
        dashboard.MapGet("/dashboard.css", (HttpContext context) =>
            Asset(context, "dashboard.css", "text/css; charset=utf-8")); // the login page uses it too; nothing secret in it
        dashboard.MapGet("/api/stats", async (HttpContext context, DashboardAccess access, DashboardStatsBuilder stats) =>
        {
            if (!access.IsAllowed(context))
            {
                return DashboardAccess.Refused();
            }
            context.Response.Headers.CacheControl = "no-store";
            return Results.Json(await stats.BuildAsync(context.RequestAborted), OpsJsonContext.Default.DashboardStats);
        });
        dashboard.MapPost("/login", LoginAsync).WithBodyLimit(LoginBodyBytes); // DashboardKeyAttempts.LoginPath
    }

    private static async Task<IResult> LoginAsync(HttpContext context, DashboardAccess access)
    {
        var key = "";
        try
        {
            key = context.Request.HasFormContentType ? (await context.Request.ReadFormAsync(context.RequestAborted))["key"].ToString() : "";
        }
        catch (InvalidDataException)
        {
            // A form beyond the form reader's own limits (a field name over 2 KB): no key in it.
        }
        if (access.Mode != DashboardMode.KeyRequired || !access.KeyMatches(key))
        {
            return LoginPage(context, wrongKey: true);
        }
        // Absolute lifetime: the node refuses the value after its expiry, and the browser drops it then too.
        var (value, expires) = access.IssueCookie();
        context.Response.Cookies.Append(DashboardAccess.CookieName, value, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/dashboard",
            Expires = expires,
            MaxAge = access.SignInLifetime,
        });
        return Results.Redirect("/dashboard", permanent: false, preserveMethod: false);
    }

    private static IResult LoginPage(HttpContext context, bool wrongKey)
    {
        var html = System.Text.Encoding.UTF8.GetString(Load("login.html"));
        if (wrongKey)
        {
            html = html.Replace("<p id=\"wrong-key\" hidden>", "<p id=\"wrong-key\">", StringComparison.Ordinal);
        }
        SecurityHeaders(context);
        return Results.Content(html, "text/html; charset=utf-8", System.Text.Encoding.UTF8, StatusCodes.Status401Unauthorized);
    }

    private static IResult Asset(HttpContext context, string name, string contentType)
    {
        SecurityHeaders(context);
        return Results.Bytes(Load(name), contentType);
    }

    private static void SecurityHeaders(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "no-store";
    }

    private static byte[] Load(string name) =>
        Assets.GetOrAdd(name, static n => EmbeddedAsset.ReadBytes(typeof(DashboardEndpoints).Assembly, ResourcePrefix + n));
}
