using Orleans.Concurrency;
using OrleansSync.Storage;

namespace OrleansSync.Delivery;

/// <summary>
/// One reliable session (a tab or device), keyed by session id. Holds the ordered queue of unacked events while a
/// socket is attached, re-sends them, and reports <c>need_full_sync</c>. The rules are written on <see cref="SessionGrain"/>.
/// </summary>
public interface ISessionGrain : IGrainWithStringKey
{
    /// <summary>
    /// Creates this session for <paramref name="userId"/>, detached and flagged <c>need_full_sync</c>. Returns the user's
    /// oldest sessions it deleted to stay within <see cref="DeliveryOptions.MaxSessionsPerUser"/>; the caller closes the
    /// sockets of attached ones (a session grain calls no grain).
    /// </summary>
    Task<IReadOnlyList<RemovedSession>> CreateAsync(string userId);

    /// <summary>
    /// Attaches <paramref name="socket"/>: claims the session and replays what is queued, after <c>auth_ok</c>.
    /// False if the session does not exist or belongs to another user (it is then left untouched).
    /// </summary>
    Task<bool> ResumeAsync(string userId, SocketLink socket);

    /// <summary>The socket <paramref name="socketId"/> is gone; ignored if another socket took the session over.</summary>
    Task DetachAsync(string socketId);

    /// <summary>
    /// Queues an event for the attached socket and sends it (at once if the send window has room, else once acks free
    /// it); completes when the event is durable, or acked by the tab first. Interleaves with other calls only at their
    /// awaits (the grain guards the one that matters, the claim), so an ack can overtake the wait for the commit: an
    /// event acked before its write commits is never written. A caller in the grain's silo queues it on the grain
    /// instead (<see cref="SessionGrain.EnqueueInSilo"/>).
    /// </summary>
    [AlwaysInterleave]
    Task<EnqueueOutcome> EnqueueAsync(string eventId, Immutable<byte[]> frame);

    /// <summary>Moves inbox events read by the node's drain into the queue and sends them as the send window allows; returns how many moved.</summary>
    Task<int> AcceptInboxAsync(IReadOnlyList<InboxEvent> events);

    /// <summary>
    /// Removes the acked event (true if it was pending here) and frees its place in the send window; unknown and duplicate
    /// acks are ignored. A session detached meanwhile still drops the event from its durable queue. Never waits (so it
    /// interleaves freely).
    /// </summary>
    [AlwaysInterleave]
    Task<bool> AckAsync(string eventId);

    /// <summary>
    /// The same as <see cref="AckAsync"/>, one-way: the read loop of a socket whose session grain runs in another silo
    /// sends its tab's acks this way and reads on (one in the same silo queues them on the grain,
    /// <see cref="SessionGrain.AckInSilo"/>). Nothing waits for the answer, so no response message, callback or
    /// continuation is made per ack; an ack lost on the way leaves the event in flight, and its re-send is acked again.
    /// </summary>
    [OneWay, AlwaysInterleave]
    Task Ack(string eventId);

    /// <summary>The store says another node owns the session now: close the socket here without writing.</summary>
    Task<bool> LoseOwnershipAsync();

    /// <summary>Whether this activation is attached to socket <paramref name="socketId"/> (a fresh one after a silo's death is not).</summary>
    [AlwaysInterleave]
    Task<bool> HoldsSocketAsync(string socketId);
}
