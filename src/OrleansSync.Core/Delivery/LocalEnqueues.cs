using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace OrleansSync.Delivery;

/// <summary>
/// Enqueues into session grains of this silo, made one-way (<see cref="ISessionGrain.EnqueueHere"/>) and answered
/// here: the grain hands its answer and the commit of the event's queue row to the waiting caller, without a
/// response message.
/// </summary>
/// <remarks>
/// A publish makes one enqueue per session; nearly every session grain runs beside its socket, in the silo of the
/// publish. As a call with a response, each enqueue cost a response message, the caller's callback entry and a task
/// to complete, and, held open until the commit, a turn of the session grain when the commit landed. Made one-way
/// with the answer given here, it costs one message and this entry; the caller still waits for the commit, so a
/// publish is answered only once every copy is durable (or acked), and a failed commit fails it. A one-way message
/// that never runs (its activation went away and the message could not be forwarded) gets no answer: the wait ends
/// with a <see cref="TimeoutException"/> after Orleans' own response timeout, as a call would, and the caller falls
/// back to the inbox.
/// </remarks>
public sealed class LocalEnqueues : IDisposable
{
    private readonly Guid _scope = Guid.NewGuid();
    private readonly ConcurrentDictionary<long, PendingEnqueue> _waiting = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly ITimer _sweep;
    private long _lastTicket;

    public LocalEnqueues(TimeProvider time, IOptions<SiloMessagingOptions> messaging)
    {
        _time = time;
        _timeout = messaging.Value.ResponseTimeout is { Ticks: > 0 } timeout ? timeout : TimeSpan.MaxValue; // infinite: never
        // A quarter of the timeout, within [1 s, 1 min]: a lost wait ends at most a quarter late, and a very long (or
        // infinite) configured timeout does not make a period the timer refuses.
        var period = TimeSpan.FromTicks(Math.Clamp(_timeout.Ticks / 4, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));
        _sweep = time.CreateTimer(static state => ((LocalEnqueues)state!).TimeOutLost(), this, period, period);
    }

    /// <summary>Enqueues waiting for their grain's answer (a test sees that none are left behind).</summary>
    public int WaitingCount => _waiting.Count;

    /// <summary>A new wait, whose ticket goes with the one-way enqueue.</summary>
    public PendingEnqueue Expect()
    {
        var pending = new PendingEnqueue(new CommitTicket(_scope, Interlocked.Increment(ref _lastTicket)), _time.GetTimestamp());
        _waiting[pending.Ticket.Number] = pending;
        return pending;
    }

    /// <summary>
    /// The grain's answer to the wait <paramref name="ticket"/> names, with the commit of its queue row (a completed task
    /// if nothing was queued). The caller's continuation may run inline, in the grain's turn: it touches no grain state.
    /// A ticket of another silo (the message was forwarded to an activation elsewhere) or one that timed out finds
    /// nothing here; its caller's wait ends by the timeout.
    /// </summary>
    public void Answer(CommitTicket ticket, EnqueueOutcome outcome, Task commit)
    {
        if (ticket.Scope == _scope && _waiting.TryRemove(ticket.Number, out var pending))
        {
            pending.Commit = commit;
            pending.TrySetResult(outcome);
        }
    }

    /// <summary>The grain failed to take the event (an exception in its turn): the caller's wait fails with it.</summary>
    public void Fail(CommitTicket ticket, Exception exception)
    {
        if (ticket.Scope == _scope && _waiting.TryRemove(ticket.Number, out var pending))
        {
            pending.TrySetException(exception);
        }
    }

    private void TimeOutLost()
    {
        foreach (var (number, pending) in _waiting)
        {
            if (_time.GetElapsedTime(pending.Started) >= _timeout && _waiting.TryRemove(number, out _))
            {
                pending.TrySetException(new TimeoutException($"No answer from the session grain within {_timeout} (the one-way enqueue was lost)."));
            }
        }
    }

    public void Dispose() => _sweep.Dispose();
}

/// <summary>
/// One enqueue waiting for its grain's answer (<see cref="LocalEnqueues"/>): the outcome, then the commit to wait for.
/// Continuations run where the answer is given (no thread-pool hop per delivery).
/// </summary>
public sealed class PendingEnqueue(CommitTicket ticket, long started) : TaskCompletionSource<EnqueueOutcome>
{
    public CommitTicket Ticket { get; } = ticket;

    /// <summary>When the wait began (a <see cref="TimeProvider"/> timestamp).</summary>
    public long Started { get; } = started;

    /// <summary>The commit of the event's queue row, set with the answer.</summary>
    public Task Commit { get; internal set; } = System.Threading.Tasks.Task.CompletedTask;
}
