using System.Collections.Concurrent;

namespace OrleansSync.Delivery;

/// <summary>
/// The session grains of this process that hold an attached socket. Orleans does not answer "what do the attached
/// sessions hold?" (the session gauges), and making a grain reference costs Orleans a type lookup each time, while the
/// attached sessions are the ones every enqueue and ack goes to (as work queued on the grain itself when the caller runs
/// in this silo): so the grains register here, with their reference, on attach and leave on release. Read outside the
/// grains' turns: a value may be a moment stale, which every reader tolerates (a grain that left answers as detached).
/// </summary>
public sealed class AttachedSessions
{
    private readonly ConcurrentDictionary<string, SessionGrain> _sessions = new(StringComparer.Ordinal);

    /// <summary>Number of attached sessions.</summary>
    public int Count => _sessions.Count;

    /// <summary>The attached session grains.</summary>
    public ICollection<SessionGrain> Grains => _sessions.Values;

    /// <summary>The grain reference of an attached session, made once at its attach.</summary>
    public bool TryGetReference(string sessionId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ISessionGrain? reference)
    {
        reference = _sessions.TryGetValue(sessionId, out var grain) ? grain.Reference : null;
        return reference is not null;
    }

    /// <summary>The grain object of an attached session, for work queued on it from this silo (<see cref="SessionGrain.EnqueueInSilo"/>).</summary>
    public bool TryGetGrain(string sessionId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SessionGrain? grain) =>
        _sessions.TryGetValue(sessionId, out grain);

    internal void Add(string sessionId, SessionGrain grain) => _sessions[sessionId] = grain;

    internal void Remove(string sessionId, SessionGrain grain) => _sessions.TryRemove(new KeyValuePair<string, SessionGrain>(sessionId, grain));
}
