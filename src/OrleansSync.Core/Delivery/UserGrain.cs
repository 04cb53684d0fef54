using OrleansSync.Diagnostics;
using OrleansSync.Runtime;
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
    SyncMetrics metrics) : Grain
{
    /// <summary>
    /// Routes the event to every session of the user. Returns the number of sessions and a task that completes
    /// when every copy is durable.
    /// </summary>
    public async ValueTask<FanOutResult> FanOutAsync(string eventId, byte[] frame)
    {
        var fromCopy = cache.TryGet(Key, out var sessions);
        if (!fromCopy)
        {
            var ticket = cache.BeginRead();
            sessions = await store.LoadUserSessionsAsync(Key, router.NodeId).ConfigureAwait(false);
            cache.Keep(Key, ticket, sessions);
        }
        metrics.SessionListLookup(fromCopy);
        List<Task>? durable = null;
        List<Task<bool>>? pushed = null;
        var viaInbox = false;
        Dictionary<string, List<string>>? pushes = null;
        foreach (var session in sessions)
        {
            if (session.WaitingInbox is { Count: > 0 } earlier && session.OwnerNode == router.NodeId)
            {
                await router.CatchUpAsync(session.SessionId, earlier).ConfigureAwait(false);
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
            var copy = await router.RouteAsync(session.SessionId, session.OwnerNode, eventId, frame).ConfigureAwait(false);
            viaInbox |= copy.ViaInbox;
            if (!copy.Durable.IsCompletedSuccessfully)
            {
                (durable ??= []).Add(copy.Durable);
            }
        }
        // One piece per other node, handed over within this turn: publishes through this node stay in order there.
        if (pushes is not null)
        {
            foreach (var (ownerNode, sessionIds) in pushes)
            {
                (pushed ??= []).Add(router.PushAsync(ownerNode, sessionIds, eventId, frame));
            }
        }
        if (viaInbox)
        {
            cache.Forget([Key]); // this node's next publish reads again at once
        }
        return new FanOutResult(sessions.Count, durable is null && pushed is null && !viaInbox ? Task.CompletedTask : DurableAsync(durable, pushed, viaInbox));
    }

    /// <summary>Every copy durable; if any waits in an inbox, no node's copy of the list predates it.</summary>
    private async Task DurableAsync(List<Task>? durable, List<Task<bool>>? pushed, bool viaInbox)
    {
        if (pushed is not null)
        {
            (durable ??= []).AddRange(pushed);
        }
        if (durable is not null)
        {
            await Task.WhenAll(durable).ConfigureAwait(false);
        }
        foreach (var push in pushed ?? [])
        {
            viaInbox |= push.Result;
        }
        if (viaInbox)
        {
            await invalidation.ForgetEverywhereAsync([Key]).ConfigureAwait(false);
        }
    }
}

/// <summary>Outcome of a fan-out: how many sessions got the event, and when it is durable.</summary>
public readonly record struct FanOutResult(int Sessions, Task Durable);
