using OrleansSync.Delivery;
using OrleansSync.Storage;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Delivery;

/// <summary>
/// The session list a user grain keeps (<see cref="OrleansSync.Delivery.UserGrain"/>), over the in-memory store: what
/// uses it, what drops it, and what waits for the drop. The cluster tests show publishes across real node processes.
/// </summary>
public sealed class UserGrainSessionListTests
{
    private const string Event = """{"type":"added","id":"p"}""";

    [Fact]
    public async Task Publishes_use_the_kept_list_until_a_session_attaches()
    {
        var announcements = new GatedSessionListInvalidation();
        await using var harness = await GrainHarness.StartAsync(sessionListLifetime: TimeSpan.FromMinutes(1), announcements: announcements);
        var first = harness.Gateway.Tab("socket-1");
        await harness.OpenAsync("u1", null, first);
        var readsBefore = harness.Store.UserSessionReads;

        await harness.PublishAsync("u1", Event);
        await harness.PublishAsync("u1", Event);
        await harness.PublishAsync("u1", Event);
        Assert.Equal(readsBefore + 1, harness.Store.UserSessionReads); // one read, then the kept list

        // A second tab attaches: its claim tells the user's grain to drop the list, and the next publish reads again
        // and reaches both tabs.
        var second = harness.Gateway.Tab("socket-2");
        await harness.OpenAsync("u1", null, second);
        Assert.Equal(["u1"], announcements.Calls[^1]);
        var published = await harness.PublishAsync("u1", Event);

        Assert.Equal(2, published.Sessions);
        Assert.Equal(readsBefore + 2, harness.Store.UserSessionReads);
        Assert.Equal(4, (await first.FramesAsync(4)).Count);
        Assert.Single(await second.FramesAsync(1));
    }

    /// <summary>
    /// A copy whose write fails before the publisher asks whether the publish is durable (here at once: a detached
    /// session's inbox append) still fails the publish. The user grain used to forget a failed publish as soon as it
    /// failed, and the publisher's question then found nothing pending and was answered "durable": a 202 for an event
    /// never stored (seen as a flaky refusal in <c>StoreFaultTests</c>).
    /// </summary>
    [Fact]
    public async Task A_publish_whose_write_failed_before_its_durability_was_asked_for_fails()
    {
        await using var harness = await GrainHarness.StartAsync();
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);
        await harness.DetachAsync(sessionId, tab); // copies now go to the session's inbox
        harness.Store.InboxWriteFailure = new StoreUnavailableException("the store cannot write");

        await Assert.ThrowsAsync<StoreUnavailableException>(() => harness.PublishAsync("u1", Event));

        harness.Store.InboxWriteFailure = null;
        Assert.Equal(1, (await harness.PublishAsync("u1", Event)).Sessions); // the failure was reported once, not kept for later publishes
        Assert.Equal(1, harness.Store.InboxCount(sessionId));
    }

    [Fact]
    public async Task A_kept_list_is_used_no_longer_than_its_lifetime()
    {
        await using var harness = await GrainHarness.StartAsync(sessionListLifetime: TimeSpan.FromSeconds(2));
        var tab = harness.Gateway.Tab();
        await harness.OpenAsync("u1", null, tab);
        await harness.PublishAsync("u1", Event);
        var readsBefore = harness.Store.UserSessionReads;

        await harness.PublishAsync("u1", Event);
        Assert.Equal(readsBefore, harness.Store.UserSessionReads);
        await harness.AdvanceAsync(TimeSpan.FromSeconds(2));
        await harness.PublishAsync("u1", Event);

        Assert.Equal(readsBefore + 1, harness.Store.UserSessionReads);
    }

    /// <summary>
    /// Tabs of a user without an active grain opening together (a browser restoring its tabs): each claim asks the
    /// user's grain to drop its list. The grain activated by the first used to leave at once, so the next claims reached
    /// an activation on its way out and were forwarded, twice at most, then refused; each refused claim then waited out the
    /// list lifetime (2 s by default) before its <c>auth_ok</c>. Here the lifetime is on the test's clock, which does not move.
    /// </summary>
    [Fact]
    public async Task Tabs_of_one_user_opening_together_do_not_wait_for_the_list_lifetime()
    {
        const int tabs = 20;
        await using var harness = await GrainHarness.StartAsync(sessionListLifetime: TimeSpan.FromMinutes(1));
        for (var round = 0; round < 10; round++)
        {
            var user = "burst-" + round;
            var opening = Enumerable.Range(0, tabs).Select(n => harness.OpenAsync(user, null, harness.Gateway.Tab($"{user}-{n}"))).ToArray();

            await Task.WhenAll(opening).WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public async Task A_users_grain_activated_by_claims_alone_leaves_soon_after_the_last()
    {
        await using var harness = await GrainHarness.StartAsync(sessionListLifetime: TimeSpan.FromMinutes(1));
        await harness.OpenAsync("u1", null, harness.Gateway.Tab("socket-1"));
        Assert.True(harness.ActiveUsers.TryGetGrain("u1", out _));
        await harness.AdvanceAsync(UserGrain.ClaimOnlyStay / 2);
        await harness.OpenAsync("u1", null, harness.Gateway.Tab("socket-2")); // the stay counts from the last claim
        await harness.AdvanceAsync(UserGrain.ClaimOnlyStay / 2);
        await TickedAsync(harness, "u1");
        Assert.True(harness.ActiveUsers.TryGetGrain("u1", out _));

        await harness.AdvanceAsync(UserGrain.ClaimOnlyStay / 2);

        await Eventually.TrueAsync(() => !harness.ActiveUsers.TryGetGrain("u1", out _), because: "the grain left");
    }

    [Fact]
    public async Task A_users_grain_that_routed_a_publish_stays_past_the_claim_only_stay()
    {
        await using var harness = await GrainHarness.StartAsync(sessionListLifetime: TimeSpan.FromMinutes(1));
        await harness.OpenAsync("u1", null, harness.Gateway.Tab());
        await harness.PublishAsync("u1", Event);
        Assert.True(harness.ActiveUsers.TryGetGrain("u1", out var grain));

        await harness.AdvanceAsync(UserGrain.ClaimOnlyStay * 2);
        await TickedAsync(harness, "u1");

        Assert.True(harness.ActiveUsers.TryGetGrain("u1", out var after));
        Assert.Same(grain, after);
    }

    /// <summary>A call to the user's grain, answered after any timer tick the clock fired before it (ticks and calls take turns in order).</summary>
    private static Task TickedAsync(GrainHarness harness, string userId) => harness.Grains.GetGrain<IUserGrain>(userId).WhenDurableAsync("none");

    [Fact]
    public async Task A_tab_hears_auth_ok_only_once_its_users_grain_dropped_the_list()
    {
        var announcements = new GatedSessionListInvalidation(open: false);
        await using var harness = await GrainHarness.StartAsync(announcements: announcements);
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
    public async Task A_copy_that_went_to_an_inbox_makes_the_next_publish_read_the_list_again()
    {
        await using var harness = await GrainHarness.StartAsync(sessionListLifetime: TimeSpan.FromMinutes(1));
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);
        await harness.PublishAsync("u1", Event); // the list (attached) is kept here
        await harness.DetachAsync(sessionId, tab);
        var readsBefore = harness.Store.UserSessionReads;

        await harness.PublishAsync("u1", Event); // by the kept list: the grain is not attached, so the inbox
        Assert.Equal(readsBefore, harness.Store.UserSessionReads);
        Assert.Equal(1, harness.Store.InboxCount(sessionId));
        await harness.PublishAsync("u1", Event);

        Assert.Equal(readsBefore + 1, harness.Store.UserSessionReads);
        Assert.Equal(2, harness.Store.InboxCount(sessionId));
    }

    [Fact]
    public async Task A_publish_to_attached_sessions_announces_nothing()
    {
        var announcements = new GatedSessionListInvalidation();
        await using var harness = await GrainHarness.StartAsync(announcements: announcements);
        var tab = harness.Gateway.Tab();
        await harness.OpenAsync("u1", null, tab);
        var callsBefore = announcements.Calls.Count;

        await harness.PublishAsync("u1", Event);

        Assert.Equal(callsBefore, announcements.Calls.Count);
        Assert.Single(await tab.FramesAsync(1));
    }
}
