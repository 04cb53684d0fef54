namespace OrleansSync.Delivery;

/// <summary>
/// The direct enqueue: a publish's copy for a session attached in this silo is queued and handed to its socket on the
/// router's own thread (the turn of the user's or the room's grain), not as work queued on this grain, when the grain
/// has nothing running and nothing queued. It saves a thread-pool hop per copy, which measured as most of the node's
/// own share of publish→receive latency (bench/README, 2026-12-07).
/// </summary>
/// <remarks>
/// Orleans runs this grain's turns one at a time but does not know about the direct enqueue, so both take
/// <see cref="_gate"/>: every turn (each call, through this grain's call filter; each timer tick, local work item and the
/// deactivation, by hand) counts itself in <see cref="_turns"/> under the gate from its start to its end, awaits
/// included, and the direct enqueue runs under the gate only while that count is 0. So the direct enqueue never runs
/// during a turn, not even at one of its awaits, which is stricter than the interleaving an enqueue call gets
/// (<c>[AlwaysInterleave]</c>); a turn that starts meanwhile waits on the gate for the microseconds it takes.
/// <para>Order: work queued on the grain from this silo (<see cref="EnqueueInSilo"/>, <see cref="AckInSilo"/>) counts from
/// the moment it is queued, so a copy that had to be queued is never overtaken by a later copy sent directly.</para>
/// <para>Only the plain case goes direct: attached to a socket of this process, no claim in flight, the queue below its
/// bound. The rest (overflow, a detached or leaving grain, a socket on another gateway, whose observer is an Orleans
/// call that must leave from the grain's own context) is queued as before. The re-send timer, an Orleans timer, is armed
/// by a work item when the direct enqueue finds none.</para>
/// </remarks>
public sealed partial class SessionGrain : IIncomingGrainCallFilter
{
    private readonly object _gate = new();

    /// <summary>Turns running, or queued from this silo and not finished (under <see cref="_gate"/>).</summary>
    private int _turns;

    /// <summary>A work item that arms the re-send timer is queued.</summary>
    private bool _timerArmQueued;

    /// <summary>Every call is a turn: counted from its start to its end.</summary>
    async Task IIncomingGrainCallFilter.Invoke(IIncomingGrainCallContext context)
    {
        EnterTurn();
        try
        {
            await context.Invoke().ConfigureAwait(true);
        }
        finally
        {
            LeaveTurn();
        }
    }

    private void EnterTurn()
    {
        lock (_gate)
        {
            _turns++;
        }
    }

    private void LeaveTurn()
    {
        lock (_gate)
        {
            _turns--;
        }
    }

    /// <summary>
    /// Queues and sends the event now, on the caller's thread, if the grain is idle and the case is plain (above);
    /// <paramref name="commit"/> is then the write of its queue row. False: nothing was done, queue it on the grain.
    /// </summary>
    public bool TryEnqueueNow(string eventId, byte[] frame, out Task commit)
    {
        lock (_gate)
        {
            if (_turns > 0 || _deactivated || _claiming is not null || !_gatewayHere || _socket is null || _record is null
                || _queue.Count >= Options.MaxQueuedPerSession)
            {
                commit = Task.CompletedTask;
                return false;
            }
            commit = QueueAndSend(eventId, frame);
            RequestRetryTimer();
            return true;
        }
    }

    /// <summary>
    /// Handles the tab's ack now, on the socket's read loop, if the grain is idle and attached to a socket of this
    /// process (an unknown or repeated ack is then simply ignored, as in a turn). False: nothing was done, queue it.
    /// </summary>
    public bool TryAckNow(string eventId)
    {
        lock (_gate)
        {
            if (_turns > 0 || _deactivated || _claiming is not null || !_gatewayHere || _socket is null)
            {
                return false;
            }
            if (RemoveAcked(eventId))
            {
                RequestRetryTimer();
            }
            return true;
        }
    }

    /// <summary>Under the gate, outside a turn: has the re-send timer armed by a work item if none is.</summary>
    private void RequestRetryTimer()
    {
        if (_retryTimer is null && !_timerArmQueued && _queue.Count > 0)
        {
            _timerArmQueued = true;
            GrainContext.Scheduler.QueueAction(static state => ((SessionGrain)state).ArmRetryTimer(), this);
        }
    }

    private void ArmRetryTimer()
    {
        EnterTurn();
        try
        {
            _timerArmQueued = false; // a turn: no direct enqueue runs now
            if (!_deactivated)
            {
                EnsureRetryTimer();
            }
        }
        finally
        {
            LeaveTurn();
        }
    }
}
