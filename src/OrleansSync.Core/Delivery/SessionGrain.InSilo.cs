namespace OrleansSync.Delivery;

/// <summary>
/// The two calls made once per delivery, enqueue and ack, as work queued on this activation's own Orleans scheduler
/// when the caller runs in the same silo (<see cref="AttachedSessions.TryGetGrain"/>): the router of a publish, the
/// gateway's read loop of the session's socket. An idle grain takes them on the caller's thread instead
/// (SessionGrain.Gate.cs); this is the way for a grain with a turn running or queued.
/// </summary>
/// <remarks>
/// Both are interleaving calls that never wait, so a grain message adds nothing to them but its cost: a message object,
/// its request object and boxed arguments, the activation's message pump and, for the enqueue, a wait for the answer.
/// <see cref="Orleans.Runtime.IWorkItemScheduler.QueueAction(Action{object}, object)"/> runs the same code as a task of
/// the activation, in the order queued, one at a time with its other turns and with the grain as the current context
/// (what Orleans itself uses for work of a grain that is not a call). What a call would add, and this keeps:
/// <list type="bullet">
/// <item>Interleaving exactly as <c>[AlwaysInterleave]</c>: the work runs between the awaits of other turns; an enqueue
/// waits for a claim in flight, as the calls do.</item>
/// <item>Nothing is lost: work queued on an activation runs even if the activation left meanwhile; it then finds the
/// grain gone (<see cref="_deactivated"/>) and answers as a call to a detached session would (the enqueue: not
/// attached, so the copy goes to the inbox; the ack: the durable row goes).</item>
/// <item>Order: work and calls queued on the activation in some order start in that order; the router goes this way
/// only for grains attached here, and a session's first enqueues after its attach wait for its claim either way.</item>
/// </list>
/// Callers in other silos (a separate gateway, a grain placed elsewhere) still call through the grain reference.
/// </remarks>
public sealed partial class SessionGrain
{
    /// <summary>Set when the activation leaves: work queued on it afterwards must not touch the grain.</summary>
    private volatile bool _deactivated;

    /// <summary>
    /// <see cref="ISessionGrain.EnqueueAsync"/> for a caller in this silo: the returned work completes with the outcome
    /// as soon as the grain has queued (and sent) the event, and then holds the commit of its queue row to wait for.
    /// Null if the grain has just parked (SessionGrain.Parking.cs): call it instead.
    /// </summary>
    public LocalEnqueue? EnqueueInSilo(string eventId, byte[] frame)
    {
        if (!TryEnterTurn()) // from now on: no later copy goes past it directly (SessionGrain.Gate.cs)
        {
            return null;
        }
        var work = new LocalEnqueue(this, eventId, frame);
        GrainContext.Scheduler.QueueAction(static state => ((LocalEnqueue)state).Grain.RunEnqueue((LocalEnqueue)state), work);
        return work;
    }

    /// <summary><see cref="ISessionGrain.Ack"/> for a caller in this silo. False if the grain has just parked: call it instead.</summary>
    public bool AckInSilo(string eventId)
    {
        if (!TryEnterTurn())
        {
            return false;
        }
        GrainContext.Scheduler.QueueAction(static state => ((LocalAck)state).Grain.RunAck(((LocalAck)state).EventId), new LocalAck(this, eventId));
        return true;
    }

    private void RunEnqueue(LocalEnqueue work)
    {
        if (_claiming is not null && !_deactivated)
        {
            _ = EnqueueAfterClaimAsync(work);
            return;
        }
        try
        {
            Answer(work);
        }
        finally
        {
            LeaveTurn();
        }
    }

    private async Task EnqueueAfterClaimAsync(LocalEnqueue work)
    {
        try
        {
            await WhileClaimingAsync().ConfigureAwait(true);
            Answer(work);
        }
        finally
        {
            LeaveTurn();
        }
    }

    private void Answer(LocalEnqueue work)
    {
        if (_deactivated) // also after a claim's wait: the activation may have left meanwhile
        {
            work.TrySetResult(EnqueueOutcome.NotAttached);
            return;
        }
        try
        {
            var (outcome, commit) = Enqueue(work.EventId, work.Frame);
            work.Commit = commit;
            work.TrySetResult(outcome);
        }
        catch (Exception exception)
        {
            work.TrySetException(exception); // nobody else hears of it: the work is not a call
        }
    }

    private void RunAck(string eventId)
    {
        try
        {
            if (_deactivated)
            {
                _ = store.RemoveEventAsync(Key, eventId); // as a detached session does with a late ack
                return;
            }
            Acknowledge(eventId);
        }
        finally
        {
            LeaveTurn();
        }
    }

    private sealed record LocalAck(SessionGrain Grain, string EventId);
}

/// <summary>
/// An enqueue queued on a session grain of this silo (<see cref="SessionGrain.EnqueueInSilo"/>): completes with the
/// outcome once the event is queued and sent; <see cref="Commit"/> is then the write to wait for before the copy is
/// durable (a completed task if nothing was written). Continuations run inline, in the grain's work item: the router's
/// touches no grain state, and it saves a hop to the thread pool per delivery.
/// </summary>
public sealed class LocalEnqueue : TaskCompletionSource<EnqueueOutcome>
{
    internal LocalEnqueue(SessionGrain grain, string eventId, byte[] frame) => (Grain, EventId, Frame) = (grain, eventId, frame);

    internal SessionGrain Grain { get; }

    internal string EventId { get; }

    internal byte[] Frame { get; }

    /// <summary>The commit of the event's queue row, set before the outcome.</summary>
    public Task Commit { get; internal set; } = System.Threading.Tasks.Task.CompletedTask;
}
