using OrleansSync.Delivery;
using OrleansSync.Storage;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Delivery;

/// <summary>
/// Enqueues and acks for a session grain attached in the caller's silo are work queued on the grain's own scheduler
/// (<see cref="SessionGrain.EnqueueInSilo"/>, <see cref="SessionGrain.AckInSilo"/>), not grain messages: a publish
/// still waits for every copy's commit and fails if one fails, and work that reaches a grain which left meanwhile
/// answers as a detached session would. Over real SQLite the behaviour suite shows the same end to end.
/// </summary>
public sealed class InSiloWorkTests
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
    }

    [Fact]
    public async Task An_ack_from_this_silo_frees_the_event_in_memory_and_in_the_store()
    {
        await using var harness = await GrainHarness.StartAsync();
        var (_, sessionId, eventId, grain) = await OneEventInFlightAsync(harness);

        harness.Sessions.Ack(sessionId, eventId);

        await Eventually.TrueAsync(() => grain.QueuedCount == 0 && harness.Store.QueuedCount(sessionId) == 0, because: "the ack freed the event");
    }

    [Fact]
    public async Task Work_that_reaches_a_grain_after_it_left_answers_as_a_detached_session()
    {
        await using var harness = await GrainHarness.StartAsync();
        var (tab, sessionId, eventId, grain) = await OneEventInFlightAsync(harness);

        // The activation goes while its socket is still attached (as when its silo stops): the router, having just
        // found it attached, queues work on it all the same.
        grain.GrainContext.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "test"));
        await Eventually.TrueAsync(() => !harness.Attached.TryGetGrain(sessionId, out _), because: "the grain left");
        var late = grain.EnqueueInSilo("late-event", "{}"u8.ToArray());
        Assert.NotNull(late); // the gate stays open: this activation did not park
        Assert.True(grain.AckInSilo(eventId));

        Assert.Equal(EnqueueOutcome.NotAttached, await late.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        await Eventually.TrueAsync(() => harness.Store.QueuedCount(sessionId) == 0, because: "the late ack removed the durable row");
        Assert.Single(await tab.FramesAsync(1)); // the late enqueue sent nothing to the socket
    }

    /// <summary>A tab of u1 attached, one event sent to it and durable, not acked; its session grain, attached here.</summary>
    private static async Task<(RecordingTab Tab, string SessionId, string EventId, SessionGrain Grain)> OneEventInFlightAsync(GrainHarness harness)
    {
        var tab = harness.Gateway.Tab();
        var sessionId = await harness.OpenAsync("u1", null, tab);
        var published = await harness.PublishAsync("u1", Event);
        Assert.Equal(1, harness.Store.QueuedCount(sessionId));
        Assert.True(harness.Attached.TryGetGrain(sessionId, out var grain));
        return (tab, sessionId, published.EventId, grain);
    }
}
