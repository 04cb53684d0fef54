namespace OrleansSync.Delivery;

/// <summary>
/// Parking: an attached session with nothing to send or re-send leaves memory while its socket stays open. What it
/// needs to come back attached (<see cref="ParkedSession"/>, about 60 bytes beside the record and socket it already had)
/// stays in <see cref="AttachedSessions"/>; its activation (about 2 KB of Orleans' and this grain's objects) goes. The next
/// call for the session (a publish's copy, an ack, the socket's close, a resume by another socket) activates the grain
/// again, and the activation takes the parked state back without reading the store: no other silo can have claimed or
/// called the session meanwhile. A node holding many idle tabs holds them for less memory; a session's first copy after
/// it parked pays an activation.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>When: at the end of an attach with nothing to replay (most tabs), at the re-send tick that stops the timer
/// (nothing in flight, nothing sent for a whole <see cref="DeliveryOptions.RetryInterval"/>), and after a call that
/// brought a parked session back for nothing (an unknown ack, the orphan check's question). A busy session keeps its
/// timer, so it does not park between events.</item>
/// <item>Where: only in a silo alone in its cluster (<see cref="AttachedSessions.ParkingPossible"/>, a SQLite node), and
/// only with the socket in this process. In a cluster the next activation could be placed in another silo, which holds
/// no parked state. <see cref="DeliveryOptions.ParkIdleSessions"/> turns it off.</item>
/// <item>Nothing is left behind: the gate closes only while this turn is the only one (no work queued on the grain, no
/// direct path running), and stays closed, so later work from this silo is refused (<see cref="EnqueueInSilo"/> returns
/// null) and sent as a call instead. Orleans holds calls that reach a deactivating activation and forwards them to the
/// next one, which has unparked by the time they run.</item>
/// </list>
/// </remarks>
public sealed partial class SessionGrain
{
    /// <summary>Parks the session if it is attached here with nothing queued, no timer, no claim, and this is the grain's only turn.</summary>
    private void ParkIfIdle()
    {
        if (!attached.ParkingPossible || !Options.ParkIdleSessions || _deactivated || _socket is not { } socket || _record is not { } record
            || !_gatewayHere || _claiming is not null || _queue.Count > 0 || _retryTimer is not null || _timerArmQueued || Reference is null)
        {
            return;
        }
        ForgetOldHandledInbox();
        if (_handledInbox is { Count: > 0 })
        {
            return; // a drain that read those rows before their deletion commits must still find them handled here
        }
        if (!TryCloseAsOnlyTurn())
        {
            return;
        }
        attached.Park(Key, new ParkedSession(record, socket, _nextSequence, _pushes, Reference));
        Forget();
        _record = null;
        Log.SessionParked(logger, Key);
        DeactivateOnIdle(); // once this turn ends; calls arriving meanwhile wait for the next activation
    }

    /// <summary>A new activation of a parked session: attached again, as it was.</summary>
    private void Unpark(ParkedSession parked)
    {
        _record = parked.Record;
        _nextSequence = parked.NextSequence;
        _pushes = parked.Pushes;
        Reference = parked.Reference;
        Hold(parked.Socket);
    }
}
