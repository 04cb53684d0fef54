using OrleansSync.Storage;

namespace OrleansSync.Cluster;

/// <summary>
/// Sessions the store says this node owns while no socket of this node is attached to them (stranded), as the node's
/// ownership checks see them. Normally a session's grain releases it when its socket detaches; a grain that cannot
/// (it died with its silo, so the detach reached a fresh activation that knows no socket; or the detach call failed)
/// leaves it owned by a live node, which nothing else releases: no retention clock, its queue and inbox kept for good.
/// A claim in flight looks the same for a moment (its row is committed before its socket hears <c>auth_ok</c>), so a
/// session is due for release only when two consecutive checks saw it stranded at the same epoch (a new claim bumps it).
/// </summary>
internal sealed class StrandedSessions
{
    private Dictionary<string, long> _previous = new(StringComparer.Ordinal); // stranded at the last check: session → epoch

    /// <summary>
    /// Takes the sessions stranded at this check and returns those stranded at the previous one too, at the same epoch.
    /// All are remembered for the next check: one whose release failed is due again then; one released is not seen again.
    /// </summary>
    public IReadOnlyList<OwnedSession> Check(IEnumerable<OwnedSession> strandedNow)
    {
        var due = new List<OwnedSession>();
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var session in strandedNow)
        {
            if (_previous.TryGetValue(session.SessionId, out var epoch) && epoch == session.Epoch)
            {
                due.Add(session);
            }
            seen[session.SessionId] = session.Epoch;
        }
        _previous = seen;
        return due;
    }
}
