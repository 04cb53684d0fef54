using OrleansSync.Storage;

namespace OrleansSync.Delivery;

/// <summary>What the gateway asks of sessions: open (new or resumed), ack, detach.</summary>
public sealed class SessionService(SessionRouter router)
{
    /// <summary>
    /// Resumes <paramref name="requestedSessionId"/> if it is a session of <paramref name="userId"/>;
    /// otherwise creates a new session (reported with <c>need_full_sync: true</c>). Returns the session id.
    /// The socket's gateway receives <c>auth_ok</c> and then any replayed events.
    /// </summary>
    public async Task<string> OpenAsync(string userId, string? requestedSessionId, SocketLink socket, CancellationToken cancellationToken = default)
    {
        if (requestedSessionId is { Length: > 0 and <= Ids.MaxSessionIdLength }
            && await Grain(requestedSessionId).ResumeAsync(userId, socket).WaitAsync(cancellationToken).ConfigureAwait(false))
        {
            return requestedSessionId;
        }
        while (true)
        {
            var sessionId = Ids.NewSessionId();
            await Grain(sessionId).CreateAsync(userId).WaitAsync(cancellationToken).ConfigureAwait(false);
            // Created before attaching: anything published from here on is either queued or covered by the
            // full sync the tab runs after auth_ok.
            if (await Grain(sessionId).ResumeAsync(userId, socket).WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                return sessionId;
            }
        }
    }

    /// <summary>Hands inbox events the node read in one batch to their session.</summary>
    public Task<int> AcceptInboxAsync(string sessionId, IReadOnlyList<InboxEvent> events) => router.CatchUpAsync(sessionId, events);

    /// <summary>The store says another node owns the session now: close its socket here.</summary>
    public Task<bool> LoseOwnershipAsync(string sessionId) => Grain(sessionId).LoseOwnershipAsync();

    /// <summary>The socket <paramref name="socketId"/> of the session closed.</summary>
    public Task DetachAsync(string sessionId, string socketId) => Grain(sessionId).DetachAsync(socketId);

    /// <summary>The session's grain.</summary>
    public ISessionGrain Grain(string sessionId) => router.Session(sessionId);
}
