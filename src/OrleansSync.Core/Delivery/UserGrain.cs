using OrleansSync.Runtime;
using OrleansSync.Storage;

namespace OrleansSync.Delivery;

/// <summary>
/// Fan-out point of one user on this node: reads the user's sessions (and who owns each) from the store
/// and routes the event to every one. Being turn-based, it gives all of a user's sessions the same order for
/// the publishes that pass through this node. Publishes through other nodes that completed before this one
/// began wait in the inbox of this node's sessions: they are handed to those sessions first, so a publisher
/// that publishes on node A, then on node B, is seen in that order everywhere. Copies for sessions owned by other
/// nodes go to the owner directly (<see cref="IPeerDelivery"/>) unless something waits in that session's inbox,
/// in which case they queue behind it there. (Two overlapping publishes may then reach a session of another node in
/// either order if one of them falls back to the inbox; the guarantee above is about publishes that do not overlap.)
/// </summary>
public sealed class UserGrain(ISessionStore store, SessionRouter router) : Grain
{
    /// <summary>
    /// Routes the event to every session of the user. Returns the number of sessions and a task that completes
    /// when every copy is durable.
    /// </summary>
    public async ValueTask<FanOutResult> FanOutAsync(string eventId, byte[] frame)
    {
        var sessions = await store.LoadUserSessionsAsync(Key, router.NodeId).ConfigureAwait(false);
        List<Task>? durable = null;
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
            if (!copy.IsCompletedSuccessfully)
            {
                (durable ??= []).Add(copy);
            }
        }
        // One piece per other node, handed over within this turn: publishes through this node stay in order there.
        if (pushes is not null)
        {
            foreach (var (ownerNode, sessionIds) in pushes)
            {
                (durable ??= []).Add(router.PushAsync(ownerNode, sessionIds, eventId, frame));
            }
        }
        return new FanOutResult(sessions.Count, durable is null ? Task.CompletedTask : Task.WhenAll(durable));
    }
}

/// <summary>Outcome of a fan-out: how many sessions got the event, and when it is durable.</summary>
public readonly record struct FanOutResult(int Sessions, Task Durable);
