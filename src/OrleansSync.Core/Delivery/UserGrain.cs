using OrleansSync.Runtime;
using OrleansSync.Storage;

namespace OrleansSync.Delivery;

/// <summary>
/// Fan-out point of one user: knows the user's sessions and enqueues each published event into
/// every one of them. Being turn-based, it gives all of a user's sessions the same publish order.
/// </summary>
public sealed class UserGrain(ISessionStore store, Lazy<GrainDirectory<SessionGrain>> sessions) : Grain
{
    private readonly HashSet<string> _sessionIds = new(StringComparer.Ordinal);

    /// <inheritdoc />
    protected internal override async ValueTask OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var id in await store.LoadUserSessionIdsAsync(Key, cancellationToken).ConfigureAwait(false))
        {
            _sessionIds.Add(id);
        }
    }

    /// <summary>Registers a new session so that it receives this user's events from now on.</summary>
    public ValueTask<bool> AddSessionAsync(string sessionId) => ValueTask.FromResult(_sessionIds.Add(sessionId));

    /// <summary>Forgets a deleted session.</summary>
    public ValueTask<bool> RemoveSessionAsync(string sessionId) => ValueTask.FromResult(_sessionIds.Remove(sessionId));

    /// <summary>
    /// Enqueues the event into every session of the user, in this grain's turn order.
    /// Returns the number of sessions and a task that completes when every queued copy is durable.
    /// </summary>
    public async ValueTask<FanOutResult> FanOutAsync(string eventId, byte[] frame)
    {
        var sessionCount = 0;
        List<Task>? durable = null;
        List<string>? gone = null;
        foreach (var sessionId in _sessionIds)
        {
            var result = await sessions.Value.CallAsync(sessionId, (eventId, frame),
                static (session, e) => session.EnqueueAsync(e.eventId, e.frame)).ConfigureAwait(false);
            if (result.Outcome == EnqueueOutcome.NoSession)
            {
                (gone ??= []).Add(sessionId);
                continue;
            }
            sessionCount++;
            if (!result.Durable.IsCompletedSuccessfully)
            {
                (durable ??= []).Add(result.Durable);
            }
        }
        if (gone is not null)
        {
            _sessionIds.ExceptWith(gone);
        }
        return new FanOutResult(sessionCount, durable is null ? Task.CompletedTask : Task.WhenAll(durable));
    }
}

/// <summary>Outcome of a fan-out: how many sessions got the event, and when it is durable.</summary>
public readonly record struct FanOutResult(int Sessions, Task Durable);
