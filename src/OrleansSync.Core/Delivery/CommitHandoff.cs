using System.Collections.Concurrent;

namespace OrleansSync.Delivery;

/// <summary>
/// Hands a queue insert's commit from a session grain to the caller of its enqueue when both run in this silo, so the
/// grain answers as soon as the event is queued and sent instead of holding its call open until the commit.
/// </summary>
/// <remarks>
/// A publish makes one enqueue call per session. Held open until the commit, each costs the session grain an async
/// state machine and a turn on its scheduler when the commit lands, and the caller a turn on its own when the answer
/// arrives. Handed over, the grain parks the commit's task here under the caller's ticket and answers at once; the
/// caller takes the task and waits for all of a publish's commits together. A publish is still answered only once every
/// copy is durable (or acked). A caller on another silo (its ticket names another handoff) gets the answer only after
/// the commit, as before.
/// </remarks>
public sealed class CommitHandoff
{
    private readonly Guid _scope = Guid.NewGuid();
    private readonly ConcurrentDictionary<long, Task> _parked = new();
    private long _lastTicket;

    /// <summary>Commits parked and not taken yet (a test sees that none are left behind).</summary>
    public int ParkedCount => _parked.Count;

    /// <summary>A ticket for one enqueue call that this silo's caller will wait on.</summary>
    public CommitTicket NewTicket() => new(_scope, Interlocked.Increment(ref _lastTicket));

    /// <summary>
    /// Parks <paramref name="commit"/> for the caller holding <paramref name="ticket"/> if that caller runs in this silo
    /// (nothing is parked for one already committed); false if the ticket is another silo's (or none): the grain then
    /// waits for the commit itself.
    /// </summary>
    public bool TryHandOver(CommitTicket ticket, Task commit)
    {
        if (ticket.Scope != _scope)
        {
            return false;
        }
        if (!commit.IsCompletedSuccessfully)
        {
            _parked[ticket.Number] = commit;
        }
        return true;
    }

    /// <summary>The commit parked under <paramref name="ticket"/>, or a completed task if none was (committed already).</summary>
    public Task Take(CommitTicket ticket) => _parked.TryRemove(ticket.Number, out var commit) ? commit : Task.CompletedTask;

    /// <summary>The caller gave up on its call (it failed or timed out): whatever the grain parked for it goes.</summary>
    public void Discard(CommitTicket ticket) => _parked.TryRemove(ticket.Number, out _);
}
