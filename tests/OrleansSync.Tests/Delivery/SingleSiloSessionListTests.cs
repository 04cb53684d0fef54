using OrleansSync.Delivery;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Delivery;

/// <summary>
/// On a SQLite node (a silo alone in its cluster) a claim asks a user's grain to drop its kept list only if that grain is
/// active (<see cref="SingleSiloSessionLists"/>): tabs that only connect activate no user grain, and a tab that opens
/// after publishes still gets the next one. Over a real node and real sockets.
/// </summary>
public sealed class SingleSiloSessionListTests
{
    [Fact]
    public async Task Tabs_that_only_connect_activate_no_users_grain()
    {
        await using var node = await TestNode.StartAsync();
        await using var first = await node.ConnectAsync();
        await first.AuthAsync(TestTokens.For("quiet-user"));
        await using var second = await node.ConnectAsync();
        await second.AuthAsync(TestTokens.For("quiet-user")); // auth_ok comes after the claim's invalidation

        Assert.False(node.Service<ActiveUsers>().TryGetGrain("quiet-user", out _));
    }

    [Fact]
    public async Task A_tab_opened_after_publishes_gets_the_next_one()
    {
        await using var node = await TestNode.StartAsync(("Cluster:SessionListLifetime", "00:01:00"));
        await using var first = await node.ConnectAsync();
        await first.AuthAsync(TestTokens.For("busy-user"));
        var (before, _) = await node.PublishOkAsync("busy-user", new { type = "added", id = "p1" });
        await first.NextMatchingAsync(f => f.GetProperty("event_id").GetString() == before);
        Assert.True(node.Service<ActiveUsers>().TryGetGrain("busy-user", out _)); // it keeps the list with the first tab alone

        await using var second = await node.ConnectAsync();
        await second.AuthAsync(TestTokens.For("busy-user"));
        var (after, sessions) = await node.PublishOkAsync("busy-user", new { type = "added", id = "p2" });

        Assert.Equal(2, sessions);
        await second.NextMatchingAsync(f => f.GetProperty("event_id").GetString() == after);
    }
}
