using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace OrleansSync.Gateway.Ops.Dashboard;

/// <summary>
/// Who may see the dashboard: anyone in Development, key holders elsewhere, nobody without a key. A key holder
/// shows the key in a header, or signs in once and then shows a cookie that lasts <c>Admin:SignInLifetime</c>.
/// </summary>
public sealed class DashboardAccess
{
    /// <summary>Header that carries the admin key.</summary>
    public const string HeaderName = "X-Admin-Key";

    /// <summary>Cookie set by the login page: its expiry and a keyed hash of it, never the key itself.</summary>
    public const string CookieName = "orleanssync_admin";

    /// <summary>Longer values are not a cookie of ours (its two parts take about 60 characters).</summary>
    private const int MaxCookieLength = 128;

    private readonly byte[]? _keyHash;
    private readonly byte[]? _cookieKey;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;

    /// <summary>Decides the mode from the environment and <c>Admin:Key</c>.</summary>
    public DashboardAccess(IOptions<AdminOptions> options, IHostEnvironment environment, TimeProvider time)
    {
        var key = options.Value.Key;
        if (!string.IsNullOrEmpty(key))
        {
            _keyHash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
            // Cookies are signed with a key derived from Admin:Key: changing the key ends every sign-in.
            _cookieKey = HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), "orleanssync-dashboard-cookie-v2"u8);
        }
        _lifetime = options.Value.SignInLifetime;
        _time = time;
        Mode = ModeFor(environment, key);
    }

    /// <summary>The rule, for registration time too: open in Development, keyed with <c>Admin:Key</c>, otherwise off.</summary>
    public static DashboardMode ModeFor(IHostEnvironment environment, string? adminKey) =>
        environment.IsDevelopment() ? DashboardMode.Open
        : !string.IsNullOrEmpty(adminKey) ? DashboardMode.KeyRequired
        : DashboardMode.Disabled;

    /// <summary>How the dashboard is guarded.</summary>
    public DashboardMode Mode { get; }

    /// <summary>How long a sign-in lasts (<c>Admin:SignInLifetime</c>).</summary>
    public TimeSpan SignInLifetime => _lifetime;

    /// <summary>The answer to a data request without access (401, the ops error body), for every dashboard's routes.</summary>
    public static IResult Refused() => Results.Json(new ReadinessBody("unauthorized", $"missing or wrong {HeaderName}: sign in at /dashboard"),
        OpsJsonContext.Default.ReadinessBody, statusCode: StatusCodes.Status401Unauthorized);

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
        return context.Request.Cookies.TryGetValue(CookieName, out var cookie) && CookieIsValid(cookie);
    }

    /// <summary>Compares a given key with <c>Admin:Key</c> in constant time.</summary>
    public bool KeyMatches(string given) =>
        _keyHash is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), _keyHash);

    /// <summary>A sign-in cookie's value for a sign-in now (<c>{expiry in Unix ms}.{keyed hash}</c>), and its expiry.</summary>
    public (string Value, DateTimeOffset Expires) IssueCookie()
    {
        var expires = _time.GetUtcNow() + _lifetime;
        var stamp = expires.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        return (stamp + "." + Signature(stamp), expires);
    }

    /// <summary>
    /// True for a cookie this key signed that has not expired. An expiry further away than the lifetime allows
    /// (issued before <c>Admin:SignInLifetime</c> was shortened) is refused too.
    /// </summary>
    private bool CookieIsValid(string? cookie)
    {
        if (_cookieKey is null || cookie is not { Length: > 0 and <= MaxCookieLength })
        {
            return false;
        }
        var dot = cookie.IndexOf('.');
        if (dot <= 0 || !long.TryParse(cookie.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var expiresMs))
        {
            return false;
        }
        var leftMs = expiresMs - _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (leftMs <= 0 || leftMs > (long)_lifetime.TotalMilliseconds)
        {
            return false;
        }
        var expected = Signature(cookie[..dot]);
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(cookie[(dot + 1)..]), Encoding.ASCII.GetBytes(expected));
    }

    private string Signature(string stamp) =>
        Convert.ToBase64String(HMACSHA256.HashData(_cookieKey!, Encoding.ASCII.GetBytes(stamp))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
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
