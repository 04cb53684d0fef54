using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.Configuration;
using OrleansSync.Delivery;
using OrleansSync.Storage;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Delivery;

/// <summary>
/// A session grain attached in the publisher's silo gets its enqueue one-way and answers through
/// <see cref="LocalEnqueues"/> before its commit: the publish still waits for every copy's commit, fails if one fails,
/// and leaves no wait behind; a wait whose answer never comes ends with a timeout. Over real SQLite the behaviour suite
/// shows the same end to end.
/// </summary>
public sealed class LocalEnqueuesTests
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
        Assert.Equal(0, harness.LocalEnqueues.WaitingCount);
    }

    [Fact]
    public async Task A_publish_whose_commit_fails_after_the_grain_answered_fails()
    {
        await using var harness = await GrainHarness.StartAsync();
        var tab = harness.Gateway.Tab();
        await harness.OpenAsync("u1", null, tab);
        harness.Store.QueueCommit = Task.FromException(new StoreUnavailableException("the store cannot write"));

        await Assert.ThrowsAsync<StoreUnavailableException>(() => harness.PublishAsync("u1", Event).WaitAsync(TimeSpan.FromSeconds(10)));

        harness.Store.QueueCommit = null;
        Assert.Equal(1, (await harness.PublishAsync("u1", Event)).Sessions);
        Assert.Equal(0, harness.LocalEnqueues.WaitingCount);
    }

    [Fact]
    public async Task A_wait_whose_answer_never_comes_times_out_and_a_late_answer_is_dropped()
    {
        var time = new FakeTimeProvider();
        using var enqueues = new LocalEnqueues(time, Options.Create(new SiloMessagingOptions { ResponseTimeout = TimeSpan.FromSeconds(8) }));
        var lost = enqueues.Expect();
        var answered = enqueues.Expect();

        time.Advance(TimeSpan.FromSeconds(6));
        enqueues.Answer(answered.Ticket, EnqueueOutcome.Queued, Task.CompletedTask);
        Assert.False(lost.Task.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(2)); // the sweep runs every quarter of the timeout

        await Assert.ThrowsAsync<TimeoutException>(() => lost.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(EnqueueOutcome.Queued, await answered.Task);
        Assert.Equal(0, enqueues.WaitingCount);
        enqueues.Answer(lost.Ticket, EnqueueOutcome.Queued, Task.CompletedTask); // too late: nobody waits, nothing breaks
    }

    [Fact]
    public async Task With_an_infinite_response_timeout_a_wait_never_times_out()
    {
        var time = new FakeTimeProvider();
        using var enqueues = new LocalEnqueues(time, Options.Create(new SiloMessagingOptions { ResponseTimeout = Timeout.InfiniteTimeSpan }));
        var pending = enqueues.Expect();

        time.Advance(TimeSpan.FromHours(1)); // the sweep ran every minute meanwhile

        Assert.False(pending.Task.IsCompleted);
        enqueues.Answer(pending.Ticket, EnqueueOutcome.Queued, Task.CompletedTask);
        Assert.Equal(EnqueueOutcome.Queued, await pending.Task);
    }

    [Fact]
    public async Task An_answer_with_another_silos_ticket_reaches_nobody_here()
    {
        using var enqueues = new LocalEnqueues(TimeProvider.System, Options.Create(new SiloMessagingOptions()));
        var mine = enqueues.Expect();
        var elsewhere = new CommitTicket(Guid.NewGuid(), mine.Ticket.Number); // same number, another silo

        enqueues.Answer(elsewhere, EnqueueOutcome.NotAttached, Task.CompletedTask);

        Assert.False(mine.Task.IsCompleted);
        enqueues.Answer(mine.Ticket, EnqueueOutcome.Queued, Task.CompletedTask);
        Assert.Equal(EnqueueOutcome.Queued, await mine.Task);
    }
}
