using System.Text.Json;
using OrleansSync.Delivery;
using OrleansSync.Storage;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Delivery;

/// <summary>
/// A publish made in the silo of its user's grain, while that grain is idle and keeps a list of sessions attached here,
/// is routed on the publishing thread (<see cref="UserGrain.TryFanOutNow"/>) instead of through grain calls: it still
/// waits for every copy's commit, fails if one fails, and the user's publishes keep one order in all the user's tabs.
/// </summary>
public sealed class DirectFanOutTests
{
    private static readonly TimeSpan KeepLists = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_publish_to_an_idle_user_with_a_kept_list_is_routed_on_the_publishing_thread()
    {
        await using var harness = await StartAsync();
        var tab = harness.Gateway.Tab();
        await harness.OpenAsync("u1", null, tab);

        await harness.PublishAsync("u1", Event(1)); // reads the list from the store, in a turn of the user's grain
        await harness.SettleAsync();
        await harness.PublishAsync("u1", Event(2)); // the kept list: no turn at all

        await tab.FramesAsync(2);
        Assert.Equal([nameof(UserGrain), null], tab.Senders);
    }

    [Fact]
    public async Task A_direct_publish_is_answered_only_after_its_copies_commit()
    {
        await using var harness = await StartAsync();
        var tab = await TabWhoseListIsKeptAsync(harness);
        var commit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Store.QueueCommit = commit.Task;

        var publish = harness.PublishAsync("u1", Event(2));
        await tab.FramesAsync(2);

        Assert.False(publish.IsCompleted, "the publish was answered before its copy was durable");
        commit.SetResult();
        Assert.Equal(1, (await publish.WaitAsync(TimeSpan.FromSeconds(10))).Sessions);
        Assert.Null(tab.Senders[1]);
    }

    [Fact]
    public async Task A_direct_publish_whose_commit_fails_fails()
    {
        await using var harness = await StartAsync();
        var tab = await TabWhoseListIsKeptAsync(harness);
        harness.Store.QueueCommit = Task.FromException(new StoreUnavailableException("the store cannot write"));

        await Assert.ThrowsAsync<StoreUnavailableException>(() => harness.PublishAsync("u1", Event(2)).WaitAsync(TimeSpan.FromSeconds(10)));

        harness.Store.QueueCommit = null;
        Assert.Equal(1, (await harness.PublishAsync("u1", Event(3))).Sessions);
    }

    [Fact]
    public async Task Publishes_made_while_the_users_grain_reads_its_list_keep_their_order()
    {
        await using var harness = await StartAsync();
        var tab = await TabWhoseListIsKeptAsync(harness);
        var read = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Store.UserSessionRead = read.Task;
        await harness.Grains.GetGrain<IUserGrain>("u1").ForgetSessionListAsync();

        var slow = await harness.PublishUntilReadAsync("u1", Event(2), because: "the publish's turn reads the list"); // and waits for the read
        var next = harness.PublishAsync("u1", Event(3)); // the list is gone: a call, queued behind that turn
        read.SetResult();
        await Task.WhenAll(slow, next).WaitAsync(TimeSpan.FromSeconds(10));
        await harness.PublishAsync("u1", Event(4)); // the list read by 2 is kept: directly

        Assert.Equal([1, 2, 3, 4], (await tab.FramesAsync(4)).Select(Number));
        Assert.Equal([nameof(UserGrain), nameof(UserGrain), nameof(UserGrain), null], tab.Senders);
    }

    [Fact]
    public async Task Concurrent_publishes_reach_every_tab_of_the_user_in_one_order()
    {
        const int publishers = 4, each = 50;
        await using var harness = await GrainHarness.StartAsync(new DeliveryOptions { SendWindow = publishers * each }, // all sent, none acked
            sessionListLifetime: KeepLists, gatewayInProcess: true);
        var first = harness.Gateway.Tab("socket-1");
        var second = harness.Gateway.Tab("socket-2");
        await harness.OpenAsync("u1", null, first);
        await harness.OpenAsync("u1", null, second);

        // Each publisher's publishes race the others', some routed directly and some by the grain (while it is busy).
        await Task.WhenAll(Enumerable.Range(0, publishers).Select(p => Task.Run(async () =>
        {
            for (var n = 0; n < each; n++)
            {
                await harness.PublishAsync("u1", Event(p * 1000 + n));
            }
        })));

        var firstOrder = (await first.FramesAsync(publishers * each)).Select(Number).ToList();
        var secondOrder = (await second.FramesAsync(publishers * each)).Select(Number).ToList();
        Assert.Equal(publishers * each, firstOrder.Distinct().Count());
        Assert.Equal(firstOrder, secondOrder);
        Assert.Contains(null, first.Senders); // some went directly
    }

    private static Task<GrainHarness> StartAsync() => GrainHarness.StartAsync(sessionListLifetime: KeepLists, gatewayInProcess: true);

    /// <summary>
    /// A tab of u1, and one publish to it, after which u1's grain keeps the list and the tab's session grain is idle: the
    /// next publish can go direct all the way.
    /// </summary>
    private static async Task<RecordingTab> TabWhoseListIsKeptAsync(GrainHarness harness)
    {
        var tab = harness.Gateway.Tab();
        await harness.OpenAsync("u1", null, tab);
        await harness.PublishAsync("u1", Event(1));
        await harness.SettleAsync(); // the session grain's work after that send (arming its re-send timer) is done: it is idle
        return tab;
    }

    private static string Event(int number) => $$"""{"type":"added","n":{{number}}}""";

    private static int Number(string frame) => JsonDocument.Parse(frame).RootElement.GetProperty("n").GetInt32();
}
