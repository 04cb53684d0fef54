namespace OrleansSync.Delivery;

/// <summary>
/// The direct enqueue: a publish's copy for a session attached in this silo is queued and handed to its socket on the
/// router's own thread (the turn of the user's or the room's grain), not as work queued on this grain, when the grain
/// has nothing running and nothing queued. It saves a thread-pool hop per copy, which measured as most of the node's
/// own share of publish→receive latency (bench/README, 2026-12-07).
/// </summary>
/// <remarks>
/// The gate and its rules are <see cref="GatedGrain"/>'s. Work queued on the grain from this silo
/// (<see cref="EnqueueInSilo"/>, <see cref="AckInSilo"/>) counts as a turn from the moment it is queued, so a copy that
/// had to be queued is never overtaken by a later copy sent directly.
/// <para>Only the plain case goes direct: attached to a socket of this process, no claim in flight, the queue below its
/// bound. The rest (overflow, a detached or leaving grain, a socket on another gateway, whose observer is an Orleans
/// call that must leave from the grain's own context) is queued as before. The re-send timer, an Orleans timer, is armed
/// by a work item when the direct enqueue finds none.</para>
/// </remarks>
public sealed partial class SessionGrain
{
    /// <summary>A work item that arms the re-send timer is queued.</summary>
    private bool _timerArmQueued;

    /// <summary>
    /// Queues and sends the event now, on the caller's thread, if the grain is idle and the case is plain (above);
    /// <paramref name="commit"/> is then the write of its queue row. False: nothing was done, queue it on the grain.
    /// </summary>
    public bool TryEnqueueNow(string eventId, byte[] frame, out Task commit)
    {
        using var idle = WhenIdle();
        if (!idle.Held || _deactivated || _claiming is not null || !_gatewayHere || _socket is null || _record is null
            || _queue.Count >= Options.MaxQueuedPerSession)
        {
            commit = Task.CompletedTask;
            return false;
        }
        commit = QueueAndSend(eventId, frame);
        RequestRetryTimer();
        return true;
    }

    /// <summary>
    /// Handles the tab's ack now, on the socket's read loop, if the grain is idle and attached to a socket of this
    /// process (an unknown or repeated ack is then simply ignored, as in a turn). False: nothing was done, queue it.
    /// </summary>
    public bool TryAckNow(string eventId)
    {
        using var idle = WhenIdle();
        if (!idle.Held || _deactivated || _claiming is not null || !_gatewayHere || _socket is null)
        {
            return false;
        }
        if (RemoveAcked(eventId))
        {
            RequestRetryTimer();
        }
        return true;
    }

    /// <summary>On a direct path (the gate held, no turn): has the re-send timer armed by a work item if none is.</summary>
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
        using (InTurn())
        {
            _timerArmQueued = false; // a turn: no direct enqueue runs now
            if (!_deactivated)
            {
                EnsureRetryTimer();
            }
        }
    }
}
