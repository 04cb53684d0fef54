using System.Collections.Concurrent;
using OrleansSync.Storage;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>An in-memory <see cref="ISessionStore"/> for unit tests of grain logic only (features are proven on SQLite).</summary>
public sealed class InMemorySessionStore : ISessionStore
{
    private readonly ConcurrentDictionary<string, SessionRecord> _sessions = new();
    private readonly ConcurrentDictionary<string, SortedDictionary<long, StoredEvent>> _queues = new();

    public int QueuedCount(string sessionId) => _queues.TryGetValue(sessionId, out var q) ? q.Count : 0;
    public SessionRecord? Session(string sessionId) => _sessions.GetValueOrDefault(sessionId);

    public Task<SessionRecord?> LoadSessionAsync(string sessionId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_sessions.GetValueOrDefault(sessionId));

    public Task<IReadOnlyList<StoredEvent>> LoadQueueAsync(string sessionId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<StoredEvent>>(_queues.TryGetValue(sessionId, out var q) ? q.Values.ToList() : []);

    public Task<IReadOnlyList<string>> LoadUserSessionIdsAsync(string userId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>(_sessions.Values.Where(s => s.UserId == userId).Select(s => s.SessionId).ToList());

    public Task<IReadOnlyList<string>> FindExpiredSessionsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<string>>(_sessions.Values.Where(s => s.RetentionDeadline <= now).Take(limit).Select(s => s.SessionId).ToList());

    public Task StartRetentionForOrphansAsync(DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        foreach (var s in _sessions.Values.Where(s => s.RetentionDeadline is null && !s.NeedFullSync))
        {
            _sessions[s.SessionId] = s with { RetentionDeadline = deadline };
        }
        return Task.CompletedTask;
    }

    public Task SaveSessionAsync(SessionRecord session)
    {
        _sessions[session.SessionId] = session;
        return Task.CompletedTask;
    }

    public Task DeleteSessionAsync(string sessionId)
    {
        _sessions.TryRemove(sessionId, out _);
        _queues.TryRemove(sessionId, out _);
        return Task.CompletedTask;
    }

    public Task AppendEventAsync(string sessionId, long sequence, string eventId, byte[] frame)
    {
        var queue = _queues.GetOrAdd(sessionId, _ => new SortedDictionary<long, StoredEvent>());
        lock (queue) queue[sequence] = new StoredEvent(sequence, eventId, frame);
        return Task.CompletedTask;
    }

    public Task RemoveEventAsync(string sessionId, long sequence)
    {
        if (_queues.TryGetValue(sessionId, out var queue))
        {
            lock (queue) queue.Remove(sequence);
        }
        return Task.CompletedTask;
    }

    public Task ClearQueueAsync(string sessionId)
    {
        _queues.TryRemove(sessionId, out _);
        return Task.CompletedTask;
    }

    public Task PingAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
}
