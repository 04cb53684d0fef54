using System.Net;
using System.Text.Json;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Ops;

/// <summary>Orleans' own dashboard on real nodes: behind the delivery dashboard's key, and showing this node's silo.</summary>
public sealed class OrleansDashboardTests
{
    private const string AdminKey = "admin-key-for-tests";

    [Fact]
    public async Task Outside_Development_it_needs_the_admin_key_like_the_delivery_dashboard()
    {
        await using var node = await TestNode.StartAsync(("Admin:Key", AdminKey));
        foreach (var path in new[] { "/dashboard/orleans/", "/dashboard/orleans/ClusterStats", "/dashboard/orleans/Reminders", "/dashboard/cluster" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await node.Http.GetAsync(path)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await GetWithKeyAsync(node, path, "wrong")).StatusCode);
        }

        using (var page = await GetWithKeyAsync(node, "/dashboard/orleans/", AdminKey))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("<html", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        }
        using (var frame = await GetWithKeyAsync(node, "/dashboard/cluster", AdminKey))
        {
            var html = await frame.Content.ReadAsStringAsync();
            Assert.Contains("src=\"/dashboard/orleans/\"", html); // Orleans' dashboard, framed
            Assert.Contains("href=\"/dashboard\"", html); // and the way back
        }
        // It reads this node's silo from Orleans, and the sweeper's reminder from the node's reminder table.
        await Eventually.TrueAsync(async () =>
        {
            using var counters = await GetWithKeyAsync(node, "/dashboard/orleans/DashboardCounters", AdminKey);
            if (counters.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }
            var hosts = JsonDocument.Parse(await counters.Content.ReadAsStringAsync()).RootElement.GetProperty("hosts");
            return hosts.GetArrayLength() == 1 && hosts[0].GetProperty("status").GetString() == "Active";
        }, because: "Orleans' dashboard collects its silo's figures");
        using var reminders = await GetWithKeyAsync(node, "/dashboard/orleans/Reminders", AdminKey);
        Assert.Equal(HttpStatusCode.OK, reminders.StatusCode);
        Assert.Contains("keep-alive", await reminders.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task It_is_not_served_where_the_delivery_dashboard_is_not_or_when_turned_off()
    {
        await using (var keyless = await TestNode.StartAsync())
        {
            Assert.Equal(HttpStatusCode.NotFound, (await keyless.Http.GetAsync("/dashboard/orleans/")).StatusCode);
        }
        await using var off = await TestNode.StartAsync(("environment", "Development"), ("Orleans:Dashboard", "false"));
        Assert.Equal(HttpStatusCode.OK, (await off.Http.GetAsync("/dashboard")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await off.Http.GetAsync("/dashboard/orleans/version")).StatusCode);
    }

    private static async Task<HttpResponseMessage> GetWithKeyAsync(TestNode node, string path, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Admin-Key", key);
        return await node.Http.SendAsync(request);
    }
}
