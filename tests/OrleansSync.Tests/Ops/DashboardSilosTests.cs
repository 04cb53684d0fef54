using System.Net;
using System.Text.Json;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Ops;

/// <summary>The dashboard's silo list comes from Orleans' membership: on a single node, its own silo, active and marked as itself.</summary>
public sealed class DashboardSilosTests
{
    private const string AdminKey = "admin-key-for-tests";

    [Fact]
    public async Task The_stats_list_this_nodes_silo_from_orleans_membership_as_active_and_as_itself()
    {
        // Orleans:Name is Orleans' own key for the silo's name (Silo_xxxxx otherwise).
        await using var node = await TestNode.StartAsync(("Admin:Key", AdminKey), ("Node:Id", "silo-node"), ("Orleans:Name", "silo-of-silo-node"));
        var local = node.Service<Orleans.Runtime.ILocalSiloDetails>();

        var stats = await StatsAsync(node.Http, AdminKey);
        var membership = stats.GetProperty("membership");

        Assert.Equal(JsonValueKind.Null, membership.GetProperty("error").ValueKind);
        var silo = Assert.Single(membership.GetProperty("silos").EnumerateArray()); // localhost membership: a cluster of one
        Assert.Equal(local.SiloAddress.ToParsableString(), silo.GetProperty("address").GetString());
        Assert.Equal("silo-of-silo-node", silo.GetProperty("name").GetString());
        Assert.Equal("Active", silo.GetProperty("status").GetString());
        Assert.True(silo.GetProperty("this_process").GetBoolean());
        Assert.False(silo.GetProperty("gateway").GetBoolean()); // Orleans:GatewayPort is 0 by default
        Assert.Equal(JsonValueKind.Null, silo.GetProperty("gateway_port").ValueKind);
        var started = silo.GetProperty("started_at").GetDateTimeOffset();
        Assert.InRange(started, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(0, membership.GetProperty("older_dead_silos").GetInt32());

        // The node table's list stays beside it, under its own name.
        Assert.Equal("silo-node", Assert.Single(stats.GetProperty("nodes").EnumerateArray()).GetProperty("id").GetString());
    }

    /// <summary>The dashboard's stats, read with the admin key in its header.</summary>
    internal static async Task<JsonElement> StatsAsync(HttpClient http, string adminKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/api/stats");
        request.Headers.Add("X-Admin-Key", adminKey);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}
