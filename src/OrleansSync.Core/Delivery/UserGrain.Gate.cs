using OrleansSync.Storage;

namespace OrleansSync.Delivery;

/// <summary>
/// The direct fan-out: a publish made in the silo where its user's grain is active, while that grain is idle and its
/// kept session list names only sessions attached in this silo, is routed on the publishing request's own thread
/// (<see cref="ActiveUsers"/>, <see cref="EventPublisher"/>), not through <see cref="IUserGrain.FanOutAsync"/> and
/// <see cref="IUserGrain.WhenDurableAsync"/>: two grain calls, each a message, a hop to the grain's scheduler and an
/// answer. With the sessions' direct enqueue (<see cref="SessionGrain.TryEnqueueNow"/>) a copy then reaches its socket
/// on the thread that read the request.
/// </summary>
/// <remarks>
/// The gate and its rules are <see cref="GatedGrain"/>'s: the user's publishes still pass one at a time, in the order
/// they take the grain or the gate, and every session gets them in that order, because a publish routed by a turn has
/// sent or queued all its copies before its turn ends.
/// <para>Only the plain case goes direct: a kept list (no store read, no inbox waiting), every session's grain attached
/// here (a copy for a grain elsewhere is a grain call, which must leave from the grain's own context to keep its order
/// with the calls of its turns). A copy that went to an inbox after all drops the list in a turn of its own.</para>
/// <para>Orleans sees no call for a direct fan-out, so a user grain that only gets direct publishes leaves memory after
/// <c>Grains:IdleTimeout</c> like an idle one (its deactivation takes the gate); the next publish is a call again, which
/// activates it and reads the list once.</para>
/// </remarks>
public sealed partial class UserGrain
{
    /// <summary>Set when the activation leaves: a direct fan-out must not use it any more.</summary>
    private bool _deactivated;

    /// <summary>
    /// Routes the event to every session now, on the caller's thread, if the grain is idle and the case is plain
    /// (above): <paramref name="sessions"/> is then their number and <paramref name="durable"/> completes when every
    /// copy is. False: nothing was done, call the grain.
    /// </summary>
    public bool TryFanOutNow(string eventId, byte[] frame, out int sessions, out Task durable)
    {
        sessions = 0;
        durable = Task.CompletedTask;
        using var idle = WhenIdle();
        if (!idle.Held || _deactivated || KeptList() is not { } kept || !AllAttachedHere(kept))
        {
            return false;
        }
        _fannedOut = true;
        metrics.SessionListLookup(fromCopy: true);
        var copies = new Task<bool>[kept.Count];
        for (var i = 0; i < copies.Length; i++)
        {
            copies[i] = router.RouteAsync(kept[i].SessionId, kept[i].OwnerNode, inboxWaiting: false, eventId, frame);
        }
        sessions = copies.Length;
        durable = copies.Length == 0 ? Task.CompletedTask : DurableNowAsync(copies);
        return true;
    }

    private bool AllAttachedHere(IReadOnlyList<UserSession> sessions)
    {
        foreach (var session in sessions)
        {
            if (!router.IsAttachedHere(session.SessionId))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Every copy of a direct fan-out durable; one that went to an inbox drops the kept list, in a turn.</summary>
    private async Task DurableNowAsync(Task<bool>[] copies)
    {
        var viaInbox = await Task.WhenAll(copies).ConfigureAwait(true); // the publisher's context, not this grain's: it touches no state
        if (Array.IndexOf(viaInbox, true) >= 0)
        {
            GrainContext.Scheduler.QueueAction(static state => ((UserGrain)state).DropListInTurn(), this);
        }
    }

    private void DropListInTurn()
    {
        using (InTurn())
        {
            DropList();
        }
    }
}
