using System.Globalization;
using System.Text.Json;
using OrleansSync.Tests.Infrastructure;
using OrleansSync.Tests.Ops;
using Xunit;

namespace OrleansSync.Tests.Cluster;

/// <summary>
/// Two node processes with Orleans membership in their PostgreSQL database form one
/// Orleans cluster: each node's dashboard lists both silos, active, its own marked as itself, each with its client gateway.
/// </summary>
[Collection(nameof(ClusterTests))]
public sealed class DashboardSilosAcrossNodesTests
{
    private const string AdminKey = "admin-key-for-tests";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Each_nodes_dashboard_lists_both_silos_of_the_orleans_cluster()
    {
        await using var cluster = await Cluster.CreateAsync();
        var a = await cluster.StartNodeAsync("node-a", ("Admin:Key", AdminKey));
        var gatewayPort = ProcessNode.FreePort(); // once a holds its own: picked before, a could pick the same one
        var b = await cluster.StartNodeAsync("node-b", ("Admin:Key", AdminKey),
            ("Orleans:GatewayPort", gatewayPort.ToString(CultureInfo.InvariantCulture)));

        JsonElement[] silosOfA = [], silosOfB = [];
        await Eventually.TrueAsync(async () =>
        {
            silosOfA = await ActiveSilosAsync(a);
            silosOfB = await ActiveSilosAsync(b);
            return silosOfA.Length == 2 && silosOfB.Length == 2;
        }, Patience, "each node's dashboard lists both silos active");

        Assert.Equal(Addresses(silosOfA), Addresses(silosOfB));
        var selfOfA = Assert.Single(silosOfA, s => s.GetProperty("this_process").GetBoolean());
        var selfOfB = Assert.Single(silosOfB, s => s.GetProperty("this_process").GetBoolean());
        Assert.NotEqual(selfOfA.GetProperty("address").GetString(), selfOfB.GetProperty("address").GetString());

        // Both serve Orleans clients (gateway-only nodes): b on the port it was given, a on one it picked; both nodes say so of each.
        foreach (var silos in new[] { silosOfA, silosOfB })
        {
            var ofA = silos.Single(s => s.GetProperty("address").GetString() == selfOfA.GetProperty("address").GetString());
            var ofB = silos.Single(s => s.GetProperty("address").GetString() == selfOfB.GetProperty("address").GetString());
            Assert.True(ofA.GetProperty("gateway").GetBoolean());
            Assert.NotEqual(gatewayPort, ofA.GetProperty("gateway_port").GetInt32());
            Assert.True(ofB.GetProperty("gateway").GetBoolean());
            Assert.Equal(gatewayPort, ofB.GetProperty("gateway_port").GetInt32());
        }
    }

    private static async Task<JsonElement[]> ActiveSilosAsync(ProcessNode node) =>
        (await DashboardSilosTests.StatsAsync(node.Http, AdminKey)).GetProperty("membership").GetProperty("silos").EnumerateArray()
            .Where(s => s.GetProperty("status").GetString() == "Active").ToArray();

    private static string[] Addresses(JsonElement[] silos) =>
        silos.Select(s => s.GetProperty("address").GetString()!).Order(StringComparer.Ordinal).ToArray();
}
