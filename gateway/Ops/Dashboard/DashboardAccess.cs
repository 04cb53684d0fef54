using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace OrleansSync.Gateway.Ops.Dashboard;

/// <summary>Who may see the dashboard: anyone in Development, key holders elsewhere, nobody without a key.</summary>
public sealed class DashboardAccess
{
    /// <summary>Header that carries the admin key.</summary>
    public const string HeaderName = "X-Admin-Key";

    /// <summary>Cookie set by the login page. It holds a keyed hash, never the key itself.</summary>
    public const string CookieName = "orleanssync_admin";

    private readonly byte[]? _keyHash;
    private readonly string? _cookieValue;

    /// <summary>Decides the mode from the environment and <c>Admin:Key</c>.</summary>
    public DashboardAccess(IOptions<AdminOptions> options, IHostEnvironment environment)
    {
        var key = options.Value.Key;
        if (!string.IsNullOrEmpty(key))
        {
            _keyHash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
            _cookieValue = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), "orleanssync-dashboard-session-v1"u8))
                .TrimEnd('=').Replace('+', '-').Replace('/', '_');
        }
        Mode = ModeFor(environment, key);
    }

    /// <summary>The rule, for registration time too: open in Development, keyed with <c>Admin:Key</c>, otherwise off.</summary>
    public static DashboardMode ModeFor(IHostEnvironment environment, string? adminKey) =>
        environment.IsDevelopment() ? DashboardMode.Open
        : !string.IsNullOrEmpty(adminKey) ? DashboardMode.KeyRequired
        : DashboardMode.Disabled;

    /// <summary>How the dashboard is guarded.</summary>
    public DashboardMode Mode { get; }

    /// <summary>Value of the login cookie (null without a key).</summary>
    public string? CookieValue => _cookieValue;

    /// <summary>True if the request may see the dashboard.</summary>
    public bool IsAllowed(HttpContext context)
    {
        if (Mode == DashboardMode.Open)
        {
            return true;
        }
        if (Mode == DashboardMode.Disabled)
        {
            return false;
        }
        if (context.Request.Headers.TryGetValue(HeaderName, out var header) && KeyMatches(header.ToString()))
        {
            return true;
        }
        return context.Request.Cookies.TryGetValue(CookieName, out var cookie) && cookie is not null
            && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(cookie), Encoding.ASCII.GetBytes(_cookieValue!));
    }

    /// <summary>Compares a given key with <c>Admin:Key</c> in constant time.</summary>
    public bool KeyMatches(string given) =>
        _keyHash is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), _keyHash);
}

/// <summary>How the dashboard is guarded.</summary>
public enum DashboardMode
{
    /// <summary>Development: no key needed.</summary>
    Open,

    /// <summary><c>Admin:Key</c> required.</summary>
    KeyRequired,

    /// <summary>Outside Development without <c>Admin:Key</c>: not served at all.</summary>
    Disabled,
}
