using System.Net;
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

    private static async Task<HttpResponseMessage> GetWithKeyAsync(TestNode node, string path, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Admin-Key", key);
        return await node.Http.SendAsync(request);
    }
}
