using System.Collections.Concurrent;

namespace OrleansSync.Delivery;

/// <summary>
/// The session grains of this process that hold an attached socket. Orleans does not answer "what do the attached
/// sessions hold?" (the session gauges), and making a grain reference costs Orleans a type lookup each time, while the
/// attached sessions are the ones every enqueue and ack goes to (as work queued on the grain itself when the caller runs
/// in this silo): so the grains register here, with their reference, on attach and leave on release. A parked session
/// (SessionGrain.Parking.cs) is kept here without a grain, with what its next activation needs to come back attached.
/// Read outside the grains' turns: a value may be a moment stale, which every reader tolerates (a grain that left
/// answers as detached; a grain that parked refuses work from this silo, which then calls it).
/// </summary>
public sealed class AttachedSessions
{
    private readonly ConcurrentDictionary<string, SessionGrain> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ParkedSession> _parked = new(StringComparer.Ordinal);

    /// <summary>
    /// Whether idle sessions may park (SessionGrain.Parking.cs): only in a silo alone in its cluster, the host of a SQLite
    /// node says so. In a cluster a parked session's next activation could be placed in another silo, which does not
    /// hold its parked state.
    /// </summary>
    public bool ParkingPossible { get; init; }

    /// <summary>Number of attached sessions, parked ones included.</summary>
    public int Count => _sessions.Count + _parked.Count;

    /// <summary>Number of attached sessions parked: their grain left memory, their socket stays open.</summary>
    public int ParkedCount => _parked.Count;

    /// <summary>The attached session grains in memory (parked sessions have none).</summary>
    public ICollection<SessionGrain> Grains => _sessions.Values;

    /// <summary>The grain reference of an attached session (parked or not), made once at its attach.</summary>
    public bool TryGetReference(string sessionId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ISessionGrain? reference)
    {
        reference = _sessions.TryGetValue(sessionId, out var grain) ? grain.Reference
            : _parked.TryGetValue(sessionId, out var parked) ? parked.Reference : null;
        return reference is not null;
    }

    /// <summary>
    /// The grain object of an attached session in memory, for work queued on it from this silo
    /// (<see cref="SessionGrain.EnqueueInSilo"/>); a parked session has none, and is reached by a call.
    /// </summary>
    public bool TryGetGrain(string sessionId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SessionGrain? grain) =>
        _sessions.TryGetValue(sessionId, out grain);

    internal void Add(string sessionId, SessionGrain grain) => _sessions[sessionId] = grain;

    internal void Remove(string sessionId, SessionGrain grain) => _sessions.TryRemove(new KeyValuePair<string, SessionGrain>(sessionId, grain));

    /// <summary>Keeps a session's state while its grain leaves memory; the grain's next activation takes it back (<see cref="TryUnpark"/>).</summary>
    internal void Park(string sessionId, ParkedSession parked) => _parked[sessionId] = parked;

    internal bool TryUnpark(string sessionId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ParkedSession? parked) =>
        _parked.TryRemove(sessionId, out parked);
}
