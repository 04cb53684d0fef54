using OrleansSync.Runtime;
using OrleansSync.Storage;

namespace OrleansSync.Delivery;

/// <summary>What the gateway asks of sessions: open (new or resumed), ack, detach.</summary>
public sealed class SessionService(GrainFactory grains)
{
    /// <summary>
    /// Resumes <paramref name="requestedSessionId"/> if it is a session of <paramref name="userId"/>;
    /// otherwise creates a new session (reported with <c>need_full_sync: true</c>). Returns the session id.
    /// The observer receives <c>auth_ok</c> and then any replayed events.
    /// </summary>
    public async Task<string> OpenAsync(string userId, string? requestedSessionId, ISessionObserver observer, CancellationToken cancellationToken = default)
    {
        if (requestedSessionId is { Length: > 0 and <= Ids.MaxSessionIdLength }
            && await grains.Sessions.CallAsync(requestedSessionId, (userId, observer),
                static (session, a) => session.ResumeAsync(a.userId, a.observer), cancellationToken).ConfigureAwait(false))
        {
            return requestedSessionId;
        }
        while (true)
        {
            var sessionId = Ids.NewSessionId();
            await grains.Sessions.CallAsync(sessionId, userId, static (session, user) => session.CreateAsync(user), cancellationToken).ConfigureAwait(false);
            // Created before attaching: anything published from here on is either queued or covered by the
            // full sync the tab runs after auth_ok.
            if (await grains.Sessions.CallAsync(sessionId, (userId, observer),
                    static (session, a) => session.ResumeAsync(a.userId, a.observer), cancellationToken).ConfigureAwait(false))
            {
                return sessionId;
            }
        }
    }

    /// <summary>Hands inbox events the node read in one batch to their session.</summary>
    public ValueTask<int> AcceptInboxAsync(string sessionId, IReadOnlyList<InboxEvent> events) => grains.Router.CatchUpAsync(sessionId, events);

    /// <summary>The store says another node owns the session now: close its socket here.</summary>
    public ValueTask<bool> LoseOwnershipAsync(string sessionId) =>
        grains.Sessions.CallAsync(sessionId, static session => session.LoseOwnershipAsync());

    /// <summary>Acks an event for the session. Unknown ids are ignored.</summary>
    public ValueTask<bool> AckAsync(string sessionId, string eventId) =>
        grains.Sessions.CallAsync(sessionId, eventId, static (session, id) => session.AckAsync(id));

    /// <summary>The socket of the session closed.</summary>
    public ValueTask<bool> DetachAsync(string sessionId, ISessionObserver observer) =>
        grains.Sessions.CallAsync(sessionId, observer, static async (session, o) =>
        {
            await session.DetachAsync(o).ConfigureAwait(false);
            return true;
        });
}
