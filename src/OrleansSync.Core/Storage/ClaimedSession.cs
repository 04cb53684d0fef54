using Orleans.Concurrency;

namespace OrleansSync.Storage;

/// <summary>A session just claimed by a node: its row (with the new epoch), queue and inbox, read in the claim's transaction.</summary>
/// <param name="Session">The row after the claim.</param>
/// <param name="Queue">Queued events in publish order.</param>
/// <param name="Inbox">Events other nodes (or this one, while detached) left for the session, in arrival order.</param>
/// <param name="PreviousOwner">The node that owned the session before this claim (null: it was detached).</param>
public sealed record ClaimedSession(SessionRecord Session, IReadOnlyList<StoredEvent> Queue, IReadOnlyList<InboxEvent> Inbox, string? PreviousOwner);

/// <summary>An event waiting in a session's inbox until the session's owner moves it into the queue.</summary>
[GenerateSerializer, Immutable, Alias("OrleansSync.InboxEvent")]
public sealed record InboxEvent(long Id, string EventId, byte[] Frame);

/// <summary>
/// A session of a user, the node that holds its socket (null: detached), and what waits in its inbox: when the
/// reading node owns it, every waiting event (a publish through that node must reach the socket after them);
/// otherwise the oldest one only, enough to know the inbox is not empty. Null: nothing waits.
/// </summary>
public readonly record struct UserSession(string SessionId, string? OwnerNode, IReadOnlyList<InboxEvent>? WaitingInbox = null);

/// <summary>An inbox event and the session it waits for.</summary>
public sealed record OwnedInboxEvent(string SessionId, InboxEvent Event);
