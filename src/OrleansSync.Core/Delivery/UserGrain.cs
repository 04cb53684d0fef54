using OrleansSync.Diagnostics;
using Orleans.Concurrency;
using OrleansSync.Storage;

namespace OrleansSync.Delivery;

/// <summary>
/// Fan-out point of one user on this node: takes the user's sessions (and who owns each) from this node's copy
/// (<see cref="UserSessionCache"/>) or reads them from the store, and routes the event to every one. Being
/// turn-based, it gives all of a user's sessions the same order for the publishes that pass through this node.
/// Publishes through other nodes that completed before this one began wait in the inbox of this node's sessions:
/// they are handed to those sessions first, so a publisher that publishes on node A, then on node B, is seen in
/// that order everywhere. Copies for sessions owned by other nodes go to the owner directly (<see cref="IPeerDelivery"/>)
/// unless something waits in that session's inbox, in which case they queue behind it there. A publish that left a
/// copy in an inbox has every node forget its copy of the list before it is durable: the next publish, wherever it
/// goes, reads the list again and queues behind that copy. (Two overlapping publishes may reach a session of another
/// node in either order if one of them falls back to the inbox; the guarantee above is about publishes that do not overlap.)
/// </summary>
public sealed class UserGrain(ISessionStore store, SessionRouter router, UserSessionCache cache, ISessionListInvalidation invalidation,
    SyncMetrics metrics) : Grain, IUserGrain
{
    private string _userId = "";

    /// <summary>Publishes routed by this activation whose copies are not all durable yet, by event id.</summary>
    private readonly Dictionary<string, Task> _pending = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _userId = this.GetPrimaryKeyString();
        metrics.GrainActivated(GrainKinds.User);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        metrics.GrainDeactivated(GrainKinds.User);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<int> FanOutAsync(string eventId, Immutable<byte[]> frameBytes)
    {
        var frame = frameBytes.Value;
        var fromCopy = cache.TryGet(_userId, out var sessions);
        if (!fromCopy)
        {
            var ticket = cache.BeginRead();
            sessions = await store.LoadUserSessionsAsync(_userId, router.NodeId);
            cache.Keep(_userId, ticket, sessions);
        }
        metrics.SessionListLookup(fromCopy);
        List<Task<bool>>? copies = null;
        Dictionary<string, List<string>>? pushes = null;
        foreach (var session in sessions)
        {
            if (session.WaitingInbox is { Count: > 0 } earlier && session.OwnerNode == router.NodeId)
            {
                await router.CatchUpAsync(session.SessionId, earlier);
            }
            // A direct copy to another owner is safe only if nothing waited in the session's inbox when this publish
            // read it: an earlier publish's copy waiting there must reach the socket first.
            if (session.WaitingInbox is not { Count: > 0 } && router.CanPushTo(session.OwnerNode))
            {
                pushes ??= new Dictionary<string, List<string>>(StringComparer.Ordinal);
                if (!pushes.TryGetValue(session.OwnerNode!, out var ids))
                {
                    pushes[session.OwnerNode!] = ids = [];
                }
                ids.Add(session.SessionId);
                continue;
            }
            // Started, not awaited: each session gets the copy in this turn's order, and the commits overlap.
            (copies ??= []).Add(router.RouteAsync(session.SessionId, session.OwnerNode, eventId, frame));
        }
        // One piece per other node, handed over within this turn: publishes through this node stay in order there.
        if (pushes is not null)
        {
            foreach (var (ownerNode, sessionIds) in pushes)
            {
                (copies ??= []).Add(router.PushAsync(ownerNode, sessionIds, eventId, frame));
            }
        }
        if (copies is not null)
        {
            var durable = DurableAsync(eventId, copies);
            if (!durable.IsCompleted)
            {
                _pending[eventId] = durable;
            }
        }
        return sessions.Count;
    }

    /// <inheritdoc />
    public Task WhenDurableAsync(string eventId) => _pending.GetValueOrDefault(eventId) ?? Task.CompletedTask;

    /// <summary>Every copy durable; if any waits in an inbox, no node's copy of the list predates it.</summary>
    private async Task DurableAsync(string eventId, List<Task<bool>> copies)
    {
        try
        {
            var viaInbox = false;
            foreach (var copy in copies)
            {
                viaInbox |= await copy;
            }
            if (viaInbox)
            {
                cache.Forget([_userId]); // this node's next publish reads again
                await invalidation.ForgetEverywhereAsync([_userId]);
            }
        }
        finally
        {
            _pending.Remove(eventId);
        }
    }
}
