using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Ops;

/// <summary>Who may open the dashboard, on real nodes in a non-Development environment ("Testing") and in Development.</summary>
public sealed class DashboardAccessTests
{
    private const string AdminKey = "admin-key-for-tests";

    [Fact]
    public async Task Without_Admin_Key_outside_Development_the_dashboard_is_not_served()
    {
        await using var node = await TestNode.StartAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await node.Http.GetAsync("/dashboard")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await node.Http.GetAsync("/dashboard/api/stats")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task The_admin_key_is_required_by_header_or_login_cookie()
    {
        await using var node = await TestNode.StartAsync(("Admin:Key", AdminKey), ("Node:Id", "guarded"));

        using (var page = await node.Http.GetAsync("/dashboard"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
            Assert.Contains("id=\"admin-key\"", await page.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await node.Http.GetAsync("/dashboard/api/stats")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetWithKeyAsync(node, "/dashboard/api/stats", "wrong")).StatusCode);

        using (var stats = await GetWithKeyAsync(node, "/dashboard/api/stats", AdminKey))
        {
            Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
            var body = JsonDocument.Parse(await stats.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("guarded", body.GetProperty("node").GetProperty("id").GetString());
            Assert.True(body.GetProperty("metrics_enabled").GetBoolean());
        }

        // Probes and scrapers need no key.
        foreach (var open in new[] { "/metrics", "/healthz", "/readyz" })
        {
            Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync(open)).StatusCode);
        }

        // The login form: a wrong key is refused, the right one sets a cookie that opens the page and its data.
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = node.BaseAddress };
        using (var wrong = await browser.PostAsync("/dashboard/login", new FormUrlEncodedContent([new("key", "nope")])))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.DoesNotContain("id=\"wrong-key\" hidden", await wrong.Content.ReadAsStringAsync());
        }
        using (var login = await browser.PostAsync("/dashboard/login", new FormUrlEncodedContent([new("key", AdminKey)])))
        {
            Assert.Equal(HttpStatusCode.OK, login.StatusCode); // redirected to the dashboard
            Assert.Contains("chart-latency", await login.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/dashboard/api/stats")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/dashboard/dashboard.js")).StatusCode);
    }

    [Fact]
    public async Task In_Development_the_dashboard_is_open()
    {
        await using var node = await TestNode.StartAsync(("environment", "Development"), ("Metrics:Enabled", "false"));
        await using var tab = await node.ConnectAsync();
        await tab.AuthAsync(TestTokens.For("dev-user"));
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync("/dashboard")).StatusCode);
        JsonElement stats = default;
        await Eventually.TrueAsync(async () =>
        {
            stats = JsonDocument.Parse(await node.Http.GetStringAsync("/dashboard/api/stats")).RootElement;
            return stats.GetProperty("connections").GetProperty("attached_sessions").GetInt32() == 1;
        }, because: "gauges work with metrics disabled");
        Assert.False(stats.GetProperty("metrics_enabled").GetBoolean());
        Assert.Equal(1, stats.GetProperty("connections").GetProperty("open_sockets").GetInt32());
    }

    [Fact]
    public async Task A_sign_in_cookie_is_HttpOnly_and_SameSite_Strict_and_stops_working_after_its_lifetime()
    {
        var lifetime = TimeSpan.FromSeconds(3);
        await using var node = await TestNode.StartAsync(("Admin:Key", AdminKey), ("Admin:SignInLifetime", "00:00:03"));
        using var client = RawClient(node, IPAddress.Loopback);
        var signedInBefore = Stopwatch.StartNew(); // the cookie's expiry is at least this long after this moment

        using var login = await client.PostAsync("/dashboard/login", new FormUrlEncodedContent([new("key", AdminKey)]));
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var setCookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        var attributes = setCookie.Split(';', StringSplitOptions.TrimEntries);
        Assert.Contains("httponly", attributes);
        Assert.Contains("samesite=strict", attributes);
        Assert.Contains("path=/dashboard", attributes);
        Assert.Contains("max-age=3", attributes);
        Assert.Contains(attributes, a => a.StartsWith("expires=", StringComparison.Ordinal));
        Assert.DoesNotContain("secure", attributes); // plain HTTP here; HTTPS adds it
        var cookie = attributes[0];
        Assert.StartsWith("orleanssync_admin=", cookie);
        Assert.DoesNotContain(AdminKey, cookie);

        var status = await StatsWithCookieAsync(client, cookie);
        if (signedInBefore.Elapsed < lifetime)
        {
            Assert.Equal(HttpStatusCode.OK, status); // within its lifetime it opens the dashboard
        }
        await Eventually.TrueAsync(async () => await StatsWithCookieAsync(client, cookie) == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(60), because: "the sign-in expires");
        Assert.True(signedInBefore.Elapsed >= lifetime, $"refused after {signedInBefore.Elapsed}, before its lifetime of {lifetime}");

        // Another expiry with the old signature, or any made-up value, is refused; so is the page.
        var stamp = DateTimeOffset.UtcNow.AddSeconds(2).ToUnixTimeMilliseconds();
        Assert.Equal(HttpStatusCode.Unauthorized, await StatsWithCookieAsync(client, $"orleanssync_admin={stamp}.{cookie.Split('.')[1]}"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatsWithCookieAsync(client, "orleanssync_admin=" + new string('9', 5000)));
        using var page = new HttpRequestMessage(HttpMethod.Get, "/dashboard");
        page.Headers.Add("Cookie", cookie);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(page)).StatusCode);
    }

    [Fact]
    public async Task Key_attempts_are_limited_per_client_address_with_429_and_the_right_key_in_the_header_never_is()
    {
        await using var node = await TestNode.StartAsync(("Admin:Key", AdminKey), ("Admin:SignInAttempts", "3"), ("Admin:SignInWindow", "00:30:00"));
        var guesser = IPAddress.Parse("127.0.0.2");
        using var fromGuesser = RawClient(node, guesser);

        // Three wrong keys (form or header, they share the budget) are answered 401; the next attempt is 429.
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(fromGuesser, "guess-1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(fromGuesser, "guess-2")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetWithKeyAsync(fromGuesser, "/dashboard/api/stats", "guess-3")).StatusCode);
        foreach (var attempt in new Func<Task<HttpResponseMessage>>[]
                 {
                     () => SignInAsync(fromGuesser, "guess-4"),
                     () => SignInAsync(fromGuesser, AdminKey), // every form counts: its key is read only within the limit
                     () => GetWithKeyAsync(fromGuesser, "/dashboard/api/stats", "guess-5"),
                 })
        {
            using var refused = await attempt();
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.True(int.Parse(Assert.Single(refused.Headers.GetValues("Retry-After"))) > 0);
            var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("too_many_attempts", error.GetProperty("error").GetString());
            Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        }
        // The right key in the header is not an attempt, and a request without a key is not limited either.
        Assert.Equal(HttpStatusCode.OK, (await GetWithKeyAsync(fromGuesser, "/dashboard/api/stats", AdminKey)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fromGuesser.GetAsync("/dashboard/api/stats")).StatusCode);

        // Another address has its own budget: the operator signs in.
        using var fromOperator = RawClient(node, IPAddress.Loopback);
        using var login = await SignInAsync(fromOperator, AdminKey);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
    }

    [Fact]
    public async Task Behind_a_proxy_with_forwarded_headers_enabled_each_forwarded_client_has_its_own_budget()
    {
        // ASP.NET's own switch (ASPNETCORE_FORWARDEDHEADERS_ENABLED=true in the environment), as docs/OPERATIONS.md says.
        await using var node = await TestNode.StartAsync(("Admin:Key", AdminKey), ("Admin:SignInAttempts", "1"), ("Admin:SignInWindow", "00:30:00"),
            ("ForwardedHeaders_Enabled", "true"));
        async Task<HttpStatusCode> GuessAsync(string client)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/api/stats");
            request.Headers.Add("X-Admin-Key", "guess");
            request.Headers.Add("X-Forwarded-For", client);
            using var response = await node.Http.SendAsync(request);
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.Unauthorized, await GuessAsync("203.0.113.7"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await GuessAsync("203.0.113.7"));
        Assert.Equal(HttpStatusCode.Unauthorized, await GuessAsync("203.0.113.8"));
        // IPv6 clients count per /64.
        Assert.Equal(HttpStatusCode.Unauthorized, await GuessAsync("2001:db8:1:2::1"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await GuessAsync("2001:db8:1:2::ffff"));
        Assert.Equal(HttpStatusCode.Unauthorized, await GuessAsync("2001:db8:1:3::1"));
    }

    [Theory]
    [InlineData("Admin:SignInLifetime", "00:00:00.5")]
    [InlineData("Admin:SignInAttempts", "0")]
    [InlineData("Admin:SignInWindow", "00:00:00")]
    public async Task An_admin_setting_out_of_range_stops_the_start_with_its_name(string key, string value)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestNode.StartAsync(("Admin:Key", AdminKey), (key, value)));
        Assert.Contains(key, error.Message);
    }

    private static Task<HttpResponseMessage> GetWithKeyAsync(TestNode node, string path, string key) => GetWithKeyAsync(node.Http, path, key);

    private static async Task<HttpResponseMessage> GetWithKeyAsync(HttpClient client, string path, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Admin-Key", key);
        return await client.SendAsync(request);
    }

    private static Task<HttpResponseMessage> SignInAsync(HttpClient client, string key) =>
        client.PostAsync("/dashboard/login", new FormUrlEncodedContent([new("key", key)]));

    private static async Task<HttpStatusCode> StatsWithCookieAsync(HttpClient client, string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/api/stats");
        request.Headers.Add("Cookie", cookie);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>
    /// A client that keeps no cookies, follows no redirects and connects from <paramref name="from"/> (any 127.x
    /// address reaches the node's loopback port, and the node sees it as the client's address).
    /// </summary>
    private static HttpClient RawClient(TestNode node, IPAddress from) => new(new SocketsHttpHandler
    {
        UseCookies = false,
        AllowAutoRedirect = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(from, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
}
