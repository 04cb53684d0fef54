using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Delivery;

/// <summary>
/// The grains' side of the session-list copies (<see cref="OrleansSync.Delivery.UserSessionCache"/>), over the
/// in-memory store: what uses a copy, and what is announced to the other nodes and waits for it. The cluster tests
/// show the same on real node processes.
/// </summary>
public sealed class UserGrainSessionListTests
{
    private const string Event = """{"type":"added","id":"p"}""";

    [Fact]
    public async Task Publishes_use_the_nodes_copy_of_the_list_until_a_session_attaches()
    {
        var announcements = new GatedSessionListInvalidation();
        await using var harness = await GrainHarness.StartAsync(sessionListLifetime: TimeSpan.FromMinutes(1), invalidation: announcements);
        var first = harness.Gateway.Tab("socket-1");
        await harness.OpenAsync("u1", null, first);
        var readsBefore = harness.Store.UserSessionReads;

        await harness.PublishAsync("u1", Event);
        await harness.PublishAsync("u1", Event);
        await harness.PublishAsync("u1", Event);
        Assert.Equal(readsBefore + 1, harness.Store.UserSessionReads); // one read, then the copy

        // A second tab attaches: announced (the harness's invalidation stands for every node; this node's copy is
        // dropped by the real one, here by hand), and the next publish reads again and reaches both tabs.
        var second = harness.Gateway.Tab("socket-2");
        await harness.OpenAsync("u1", null, second);
        Assert.Equal(["u1"], announcements.Calls[^1]);
        harness.SessionLists.Forget(announcements.Calls[^1]);
        var published = await harness.PublishAsync("u1", Event);

        Assert.Equal(2, published.Sessions);
        Assert.Equal(readsBefore + 2, harness.Store.UserSessionReads);
        Assert.Equal(4, (await first.FramesAsync(4)).Count);
        Assert.Single(await second.FramesAsync(1));
    }

    [Fact]
    public async Task A_tab_hears_auth_ok_only_once_every_node_forgot_its_users_lists()
    {
        var announcements = new GatedSessionListInvalidation(open: false);
        await using var harness = await GrainHarness.StartAsync(invalidation: announcements);
        var tab = harness.Gateway.Tab();

        var opening = harness.OpenAsync("u1", null, tab);

        await Eventually.TrueAsync(() => announcements.Calls.Count == 1, because: "the claim was announced");
        Assert.Equal(["u1"], announcements.Calls[0]);
        Assert.False(opening.IsCompleted);
        Assert.Empty(tab.Opened);
        announcements.Open();
        await opening.WaitAsync(TimeSpan.FromSeconds(10));
        await tab.OpenedAsync();
        Assert.Single(tab.Opened);
    }

    [Fact]
    public async Task A_publish_that_leaves_a_copy_in_an_inbox_is_durable_only_once_every_node_forgot_the_list()
    {
        var announcements = new GatedSessionListInvalidation();
        await using var harness = await GrainHarness.StartAsync(invalidation: announcements);
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);
        await harness.DetachAsync(sessionId, tab); // the copy goes to the session's inbox now
        announcements.Close();
        var callsBefore = announcements.Calls.Count;

        var publishing = harness.PublishAsync("u1", Event);

        await Eventually.TrueAsync(() => announcements.Calls.Count == callsBefore + 1, because: "the inbox copy was announced");
        Assert.Equal(["u1"], announcements.Calls[^1]);
        Assert.False(publishing.IsCompleted);
        announcements.Open();
        Assert.Equal(1, (await publishing.WaitAsync(TimeSpan.FromSeconds(10))).Sessions);
    }

    [Fact]
    public async Task A_publish_to_attached_sessions_of_this_node_announces_nothing()
    {
        var announcements = new GatedSessionListInvalidation();
        await using var harness = await GrainHarness.StartAsync(invalidation: announcements);
        var tab = harness.Gateway.Tab();
        await harness.OpenAsync("u1", null, tab);
        var callsBefore = announcements.Calls.Count;

        await harness.PublishAsync("u1", Event);

        Assert.Equal(callsBefore, announcements.Calls.Count);
        Assert.Single(await tab.FramesAsync(1));
    }
}
