using OrleansSync.Delivery;
using OrleansSync.Storage;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Delivery;

/// <summary>
/// A session grain in the publisher's silo answers its enqueue before the commit and hands the commit over
/// (<see cref="CommitHandoff"/>): the publish still waits for every copy's commit, fails if one fails, and leaves
/// nothing parked. Over real SQLite the behaviour suite shows the same end to end.
/// </summary>
public sealed class CommitHandoffTests
{
    private const string Event = """{"type":"added","id":"p"}""";

    [Fact]
    public async Task A_publish_is_answered_only_after_its_copies_commit_though_the_tabs_have_them_before()
    {
        await using var harness = await GrainHarness.StartAsync();
        var first = harness.Gateway.Tab("socket-1");
        var second = harness.Gateway.Tab("socket-2");
        await harness.OpenAsync("u1", null, first);
        await harness.OpenAsync("u1", null, second);
        var commit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Store.QueueCommit = commit.Task;

        var publish = harness.PublishAsync("u1", Event);
        await first.FramesAsync(1);
        await second.FramesAsync(1);

        Assert.False(publish.IsCompleted, "the publish was answered before its copies were durable");
        commit.SetResult();
        Assert.Equal(2, (await publish.WaitAsync(TimeSpan.FromSeconds(10))).Sessions);
        Assert.Equal(0, harness.Commits.ParkedCount);
    }

    [Fact]
    public async Task A_publish_whose_handed_over_commit_fails_fails()
    {
        await using var harness = await GrainHarness.StartAsync();
        var tab = harness.Gateway.Tab();
        await harness.OpenAsync("u1", null, tab);
        harness.Store.QueueCommit = Task.FromException(new StoreUnavailableException("the store cannot write"));

        await Assert.ThrowsAsync<StoreUnavailableException>(() => harness.PublishAsync("u1", Event).WaitAsync(TimeSpan.FromSeconds(10)));

        harness.Store.QueueCommit = null;
        Assert.Equal(1, (await harness.PublishAsync("u1", Event)).Sessions);
        Assert.Equal(0, harness.Commits.ParkedCount);
    }
}
