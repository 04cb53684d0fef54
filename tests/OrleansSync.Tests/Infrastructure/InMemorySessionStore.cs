using OrleansSync.Storage;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>
/// An in-memory <see cref="ISessionStore"/> with the same fencing and inbox rules as the SQL one, for unit tests
/// of grain logic only (every feature is also proven against SQLite and PostgreSQL).
/// </summary>
public sealed class InMemorySessionStore : ISessionStore
{
    private readonly object _gate = new();
    private readonly Dictionary<string, SessionRecord> _sessions = new();
    private readonly Dictionary<string, SortedDictionary<long, StoredEvent>> _queues = new();
    private readonly List<(long Id, string SessionId, InboxEvent Event)> _inbox = [];
    private long _nextInboxId = 1;
    private List<Action>? _heldInboxWrites;

    /// <summary>Holds inbox moves and drops back (as a batch that has not committed yet) until <see cref="CommitHeldInboxWrites"/>.</summary>
    public void HoldInboxWrites()
    {
        lock (_gate) _heldInboxWrites = [];
    }

    public void CommitHeldInboxWrites()
    {
        lock (_gate)
        {
            var held = _heldInboxWrites ?? [];
            _heldInboxWrites = null;
            held.ForEach(write => write());
        }
    }

    /// <summary>
    /// An inbox row that lands although the session is flagged: a write that read the session before the flag
    /// committed (PostgreSQL under read committed) and committed after the flag's delete.
    /// </summary>
    public long InsertInboxRacingTheFlag(string sessionId, string eventId, byte[] frame)
    {
        lock (_gate)
        {
            var id = _nextInboxId++;
            _inbox.Add((id, sessionId, new InboxEvent(id, eventId, frame)));
            return id;
        }
    }

    public int QueuedCount(string sessionId)
    {
        lock (_gate) return _queues.TryGetValue(sessionId, out var q) ? q.Count : 0;
    }

    public int InboxCount(string sessionId)
    {
        lock (_gate) return _inbox.Count(i => i.SessionId == sessionId);
    }

    public SessionRecord? Session(string sessionId)
    {
        lock (_gate) return _sessions.GetValueOrDefault(sessionId);
    }

    public Task<IReadOnlyList<RemovedSession>> CreateSessionAsync(SessionRecord session, int maxSessionsPerUser = int.MaxValue,
        CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _sessions.Add(session.SessionId, session);
            var others = _sessions.Values.Where(s => s.UserId == session.UserId && s.SessionId != session.SessionId)
                .OrderBy(s => s.OwnerNode is null ? 0 : 1).ThenBy(s => s.DetachedAt).ToList();
            var removed = others.Take(Math.Max(0, others.Count + 1 - maxSessionsPerUser)).Select(s => new RemovedSession(s.SessionId, s.OwnerNode)).ToList();
            foreach (var old in removed)
            {
                _sessions.Remove(old.SessionId);
                _queues.Remove(old.SessionId);
                _inbox.RemoveAll(i => i.SessionId == old.SessionId);
            }
            return Task.FromResult<IReadOnlyList<RemovedSession>>(removed);
        }
    }

    public Task<ClaimedSession?> ClaimSessionAsync(string sessionId, string userId, string nodeId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_sessions.TryGetValue(sessionId, out var session) || session.UserId != userId)
            {
                return Task.FromResult<ClaimedSession?>(null);
            }
            var claimed = session with { OwnerNode = nodeId, Epoch = session.Epoch + 1, DetachedAt = null };
            _sessions[sessionId] = claimed;
            var queue = _queues.TryGetValue(sessionId, out var q) ? q.Values.ToList() : [];
            var inbox = _inbox.Where(i => i.SessionId == sessionId).Select(i => i.Event).ToList();
            return Task.FromResult<ClaimedSession?>(new ClaimedSession(claimed, queue, inbox, session.OwnerNode));
        }
    }

    /// <summary>How many times a user's sessions were read (publishes that found no copy of the list).</summary>
    public int UserSessionReads { get; private set; }

    /// <summary>When set, reads of a user's sessions complete only after this task (a slow read).</summary>
    public Task? UserSessionRead { get; set; }

    public async Task<IReadOnlyList<UserSession>> LoadUserSessionsAsync(string userId, string nodeId, CancellationToken cancellationToken = default)
    {
        lock (_gate) UserSessionReads++;
        if (UserSessionRead is { } slow)
        {
            await slow;
        }
        lock (_gate) return _sessions.Values.Where(s => s.UserId == userId)
            .Select(s => new UserSession(s.SessionId, s.OwnerNode,
                _inbox.Where(i => i.SessionId == s.SessionId).OrderBy(i => i.Id).Select(i => i.Event).Take(s.OwnerNode == nodeId ? int.MaxValue : 1)
                    .ToList() is { Count: > 0 } waiting ? waiting : null))
            .ToList();
    }

    public Task<IReadOnlyList<OwnedInboxEvent>> LoadOwnedInboxAsync(string nodeId, long afterId, int limit, CancellationToken cancellationToken = default)
    {
        lock (_gate) return Task.FromResult<IReadOnlyList<OwnedInboxEvent>>(_inbox
            .Where(i => i.Id > afterId && _sessions.TryGetValue(i.SessionId, out var s) && s.OwnerNode == nodeId)
            .OrderBy(i => i.Id).Take(limit).Select(i => new OwnedInboxEvent(i.SessionId, i.Event)).ToList());
    }

    public Task<IReadOnlyList<string>> FindSessionsNotOwnedByAsync(string nodeId, IReadOnlyList<string> sessionIds, CancellationToken cancellationToken = default)
    {
        lock (_gate) return Task.FromResult<IReadOnlyList<string>>(
            sessionIds.Where(id => !_sessions.TryGetValue(id, out var s) || s.OwnerNode != nodeId).ToList());
    }

    public Task<int> ExpireSessionsAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var expired = _sessions.Values.Where(s => s.RetentionDeadline <= now && s.OwnerNode is null).ToList();
            foreach (var s in expired)
            {
                _queues.Remove(s.SessionId);
                _inbox.RemoveAll(i => i.SessionId == s.SessionId);
                _sessions[s.SessionId] = s with { NeedFullSync = true, RetentionDeadline = null, Epoch = s.Epoch + 1 };
            }
            return Task.FromResult(expired.Count);
        }
    }

    public Task<int> FlagOverflowingSessionsAsync(int maxQueued, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var overflowing = _sessions.Values.Where(s => s.OwnerNode is null && !s.NeedFullSync
                && _inbox.Count(i => i.SessionId == s.SessionId) > 0
                && _inbox.Count(i => i.SessionId == s.SessionId) + (_queues.TryGetValue(s.SessionId, out var q) ? q.Count : 0) > maxQueued).ToList();
            foreach (var s in overflowing)
            {
                _queues.Remove(s.SessionId);
                _inbox.RemoveAll(i => i.SessionId == s.SessionId);
                _sessions[s.SessionId] = s with { NeedFullSync = true, RetentionDeadline = null, Epoch = s.Epoch + 1 };
            }
            return Task.FromResult(overflowing.Count);
        }
    }

    public Task<int> ReleaseSessionsOfNodeAsync(string nodeId, DateTimeOffset detachedAt, DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var owned = _sessions.Values.Where(s => s.OwnerNode == nodeId).ToList();
            foreach (var s in owned)
            {
                Release(s, detachedAt, deadline);
            }
            return Task.FromResult(owned.Count);
        }
    }

    public Task<IReadOnlyList<OwnedSession>> FindOwnedSessionsAsync(string nodeId, CancellationToken cancellationToken = default)
    {
        lock (_gate) return Task.FromResult<IReadOnlyList<OwnedSession>>(
            _sessions.Values.Where(s => s.OwnerNode == nodeId).Select(s => new OwnedSession(s.SessionId, s.Epoch)).ToList());
    }

    public Task<int> ReleaseOwnedSessionsAsync(string nodeId, IReadOnlyList<OwnedSession> sessions, DateTimeOffset detachedAt, DateTimeOffset deadline,
        CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var released = 0;
            foreach (var owned in sessions)
            {
                if (_sessions.TryGetValue(owned.SessionId, out var s) && s.OwnerNode == nodeId && s.Epoch == owned.Epoch)
                {
                    Release(s, detachedAt, deadline);
                    released++;
                }
            }
            return Task.FromResult(released);
        }
    }

    private void Release(SessionRecord s, DateTimeOffset detachedAt, DateTimeOffset deadline) => _sessions[s.SessionId] = s with
    {
        OwnerNode = null, Epoch = s.Epoch + 1, RetentionDeadline = s.NeedFullSync ? null : deadline, DetachedAt = detachedAt,
    };

    public Task<int> DeleteEndedSessionsAsync(DateTimeOffset detachedBefore, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var ended = _sessions.Values.Where(s => s.OwnerNode is null && s.DetachedAt <= detachedBefore).ToList();
            foreach (var s in ended)
            {
                _sessions.Remove(s.SessionId);
                _queues.Remove(s.SessionId);
                _inbox.RemoveAll(i => i.SessionId == s.SessionId);
            }
            return Task.FromResult(ended.Count);
        }
    }

    /// <summary>Frames are kept per row here; the SQL stores' single copy of each event's bytes is tested against them.</summary>
    public Task<int> DeleteUnreferencedEventBodiesAsync(CancellationToken cancellationToken = default) => Task.FromResult(0);

    public Task<long> ReclaimSpaceAsync(CancellationToken cancellationToken = default) => Task.FromResult(0L);

    public Task SaveSessionAsync(SessionRecord session)
    {
        lock (_gate)
        {
            if (Current(session.SessionId, session.Epoch))
            {
                _sessions[session.SessionId] = session;
            }
        }
        return Task.CompletedTask;
    }

    public Task DeleteSessionAsync(string sessionId, long epoch)
    {
        lock (_gate)
        {
            if (Current(sessionId, epoch))
            {
                _sessions.Remove(sessionId);
                _queues.Remove(sessionId);
                _inbox.RemoveAll(i => i.SessionId == sessionId);
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// When set, queue appends are applied at once but complete only with this task (a commit still in flight, or one
    /// that fails).
    /// </summary>
    public Task? QueueCommit { get; set; }

    public Task AppendEventAsync(string sessionId, long epoch, long sequence, string eventId, byte[] frame, DateTimeOffset? firstSentAt)
    {
        lock (_gate)
        {
            if (!TryInsert(sessionId, epoch, sequence, eventId, frame, firstSentAt))
            {
                InsertInbox(sessionId, eventId, frame);
            }
        }
        return QueueCommit ?? Task.CompletedTask;
    }

    public Task MoveInboxEventAsync(string sessionId, long epoch, long inboxId, long sequence, string eventId, byte[] frame, DateTimeOffset? firstSentAt)
    {
        lock (_gate)
        {
            Apply(() =>
            {
                if (TryInsert(sessionId, epoch, sequence, eventId, frame, firstSentAt))
                {
                    _inbox.RemoveAll(i => i.Id == inboxId);
                }
            });
        }
        return Task.CompletedTask;
    }

    public Task MarkFirstSentAsync(string sessionId, string eventId, DateTimeOffset firstSentAt)
    {
        lock (_gate)
        {
            if (_queues.TryGetValue(sessionId, out var queue))
            {
                foreach (var (sequence, stored) in queue.Where(e => e.Value.EventId == eventId && e.Value.FirstSentAt is null).ToList())
                {
                    queue[sequence] = stored with { FirstSentAt = Milliseconds(firstSentAt) };
                }
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>The first send times of a session's queue rows, in queue order (null: not sent yet).</summary>
    public IReadOnlyList<DateTimeOffset?> FirstSentTimes(string sessionId)
    {
        lock (_gate) return _queues.TryGetValue(sessionId, out var q) ? q.Values.Select(e => e.FirstSentAt).ToList() : [];
    }

    /// <summary>Millisecond precision, as the SQL stores keep it.</summary>
    private static DateTimeOffset? Milliseconds(DateTimeOffset? at) =>
        at is { } value ? DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds()) : null;

    public Task DropInboxEventAsync(long inboxId)
    {
        lock (_gate) Apply(() => _inbox.RemoveAll(i => i.Id == inboxId));
        return Task.CompletedTask;
    }

    private void Apply(Action write)
    {
        if (_heldInboxWrites is { } held)
        {
            held.Add(write);
        }
        else
        {
            write();
        }
    }

    /// <summary>When set, inbox appends fail at once with it (a store that cannot write).</summary>
    public Exception? InboxWriteFailure { get; set; }

    public Task AppendInboxAsync(string sessionId, string eventId, byte[] frame, string? wakeNode = null)
    {
        if (InboxWriteFailure is { } failure)
        {
            return Task.FromException(failure);
        }
        lock (_gate) InsertInbox(sessionId, eventId, frame);
        return Task.CompletedTask;
    }

    public Task RemoveEventAsync(string sessionId, string eventId)
    {
        lock (_gate)
        {
            if (_queues.TryGetValue(sessionId, out var queue))
            {
                foreach (var key in queue.Where(e => e.Value.EventId == eventId).Select(e => e.Key).ToList())
                {
                    queue.Remove(key);
                }
            }
        }
        return Task.CompletedTask;
    }

    public Task ClearQueueAsync(string sessionId, long epoch)
    {
        lock (_gate)
        {
            if (Current(sessionId, epoch))
            {
                _queues.Remove(sessionId);
                _inbox.RemoveAll(i => i.SessionId == sessionId);
            }
        }
        return Task.CompletedTask;
    }

    public Task PingAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    private bool Current(string sessionId, long epoch) => _sessions.TryGetValue(sessionId, out var s) && s.Epoch == epoch;

    private bool TryInsert(string sessionId, long epoch, long sequence, string eventId, byte[] frame, DateTimeOffset? firstSentAt)
    {
        if (!Current(sessionId, epoch))
        {
            return false;
        }
        if (!_queues.TryGetValue(sessionId, out var queue))
        {
            _queues[sessionId] = queue = new SortedDictionary<long, StoredEvent>();
        }
        queue[sequence] = new StoredEvent(sequence, eventId, frame, Milliseconds(firstSentAt));
        return true;
    }

    private void InsertInbox(string sessionId, string eventId, byte[] frame)
    {
        if (_sessions.TryGetValue(sessionId, out var s) && !s.NeedFullSync)
        {
            var id = _nextInboxId++;
            _inbox.Add((id, sessionId, new InboxEvent(id, eventId, frame)));
        }
    }
}
