using OrleansSync.Cluster;
using OrleansSync.Storage;

namespace OrleansSync.Delivery;

/// <summary>What the gateway asks of sessions: open (new or resumed), ack, detach.</summary>
public sealed class SessionService(SessionRouter router, AttachedSessions attached, IClusterSignals signals, TimeProvider time)
{
    /// <summary>
    /// Resumes <paramref name="requestedSessionId"/> if it is a session of <paramref name="userId"/>;
    /// otherwise creates a new session (reported with <c>need_full_sync: true</c>). Returns the session id.
    /// The socket's gateway receives <c>auth_ok</c> and then any replayed events. A session whose grain's silo just died
    /// is resumed on the grain's next activation (<see cref="SiloFailover"/>).
    /// </summary>
    public async Task<string> OpenAsync(string userId, string? requestedSessionId, SocketLink socket, CancellationToken cancellationToken = default)
    {
        if (requestedSessionId is { Length: > 0 and <= Ids.MaxSessionIdLength }
            && await SiloFailover.RetryRejectedAsync(() => Grain(requestedSessionId).ResumeAsync(userId, socket).WaitAsync(cancellationToken),
                time, cancellationToken).ConfigureAwait(false))
        {
            return requestedSessionId;
        }
        while (true)
        {
            var sessionId = Ids.NewSessionId();
            var removed = await Grain(sessionId).CreateAsync(userId).WaitAsync(cancellationToken).ConfigureAwait(false);
            await CloseRemovedAsync(removed).ConfigureAwait(false);
            // Created before attaching: anything published from here on is either queued or covered by the
            // full sync the tab runs after auth_ok.
            if (await Grain(sessionId).ResumeAsync(userId, socket).WaitAsync(cancellationToken).ConfigureAwait(false))
            {
                return sessionId;
            }
        }
    }

    /// <summary>
    /// Sessions deleted to keep the user within <see cref="DeliveryOptions.MaxSessionsPerUser"/> whose socket was
    /// attached: the owner closes it as for any session it lost (4002, the tab reconnects with a new session). Here at
    /// once; elsewhere through a wake-up, and the owner's ownership check finds it within a heartbeat if that is lost.
    /// </summary>
    private async Task CloseRemovedAsync(IReadOnlyList<RemovedSession> removed)
    {
        foreach (var session in removed)
        {
            if (session.OwnerNode == router.NodeId)
            {
                await LoseOwnershipAsync(session.SessionId).ConfigureAwait(false);
            }
            else if (session.OwnerNode is { } owner)
            {
                signals.SessionClaimed(owner, session.SessionId);
            }
        }
    }

    /// <summary>Hands inbox events the node read in one batch to their session.</summary>
    public Task<int> AcceptInboxAsync(string sessionId, IReadOnlyList<InboxEvent> events) => router.CatchUpAsync(sessionId, events);

    /// <summary>The store says another node owns the session now: close its socket here.</summary>
    public Task<bool> LoseOwnershipAsync(string sessionId) => Grain(sessionId).LoseOwnershipAsync();

    /// <summary>The socket <paramref name="socketId"/> of the session closed.</summary>
    public Task DetachAsync(string sessionId, string socketId) => Grain(sessionId).DetachAsync(socketId);

    /// <summary>
    /// The tab acked <paramref name="eventId"/>; nothing waits for the grain. Taken at once or queued on the grain when
    /// it is attached in this silo (<see cref="SessionGrain.TryAckNow"/>, <see cref="SessionGrain.AckInSilo"/>), else
    /// sent one-way (<see cref="ISessionGrain.Ack"/>; a parked session's grain comes back for it).
    /// </summary>
    public void Ack(string sessionId, string eventId)
    {
        if (attached.TryGetGrain(sessionId, out var here) && (here.TryAckNow(eventId) || here.AckInSilo(eventId)))
        {
            return;
        }
        _ = Grain(sessionId).Ack(eventId);
    }

    /// <summary>The session's grain.</summary>
    public ISessionGrain Grain(string sessionId) => router.Session(sessionId);
}
