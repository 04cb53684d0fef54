using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSync.Gateway.Publishing;

namespace OrleansSync.Gateway.Ops.Dashboard;

/// <summary>
/// Bounds guesses of the admin key per client address, with ASP.NET Core's rate limiting (a fixed window). Every
/// login form sent and every dashboard request with a wrong <c>X-Admin-Key</c> takes one of
/// <c>Admin:SignInAttempts</c> per <c>Admin:SignInWindow</c>; beyond them the request is answered 429 before any
/// key is compared. A request with the right key in its header, a cookie or no key at all is never limited (an
/// open dashboard polls every second). IPv6 clients count per /64, the block one subscriber usually holds.
/// </summary>
public sealed partial class DashboardKeyAttempts(IOptions<AdminOptions> options, DashboardAccess access, ILogger<DashboardKeyAttempts> logger)
    : IRateLimiterPolicy<string>
{
    /// <summary>Name of the policy on the dashboard's endpoints.</summary>
    public const string PolicyName = "dashboard-key-attempts";

    /// <summary>The login form's path (every form sent is an attempt: its key is only read after the limit).</summary>
    public const string LoginPath = "/dashboard/login";

    /// <inheritdoc />
    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => RejectAsync;

    /// <inheritdoc />
    public RateLimitPartition<string> GetPartition(HttpContext context)
    {
        if (!IsKeyAttempt(context.Request))
        {
            return RateLimitPartition.GetNoLimiter("");
        }
        var limits = options.Value;
        return RateLimitPartition.GetFixedWindowLimiter(ClientOf(context), _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = limits.SignInAttempts,
            Window = limits.SignInWindow,
            QueueLimit = 0,
        });
    }

    private bool IsKeyAttempt(HttpRequest request) =>
        (HttpMethods.IsPost(request.Method) && request.Path.Equals(LoginPath, StringComparison.OrdinalIgnoreCase))
        || (request.Headers.TryGetValue(DashboardAccess.HeaderName, out var key) && !access.KeyMatches(key.ToString()));

    /// <summary>The client's address (an IPv4-mapped one as IPv4), or its /64 for IPv6.</summary>
    private static string ClientOf(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "unknown";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    private async ValueTask RejectAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var limits = options.Value;
        if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
        {
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        http.Response.Headers.CacheControl = "no-store";
        Log.TooManyAttempts(logger, ClientOf(http), limits.SignInAttempts, limits.SignInWindow);
        await http.Response.WriteAsJsonAsync(
            new ErrorBody("too_many_attempts", $"more than {limits.SignInAttempts} admin key attempts from this address in {limits.SignInWindow}; retry later"),
            GatewayJsonContext.Default.ErrorBody, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
