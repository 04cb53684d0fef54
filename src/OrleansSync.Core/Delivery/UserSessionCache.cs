using System.Collections.Concurrent;
using OrleansSync.Storage;

namespace OrleansSync.Delivery;

/// <summary>
/// This node's copies of users' session lists (which sessions, which node owns each), so that a publish need not
/// read them from the store each time: on PostgreSQL that read was most of what three nodes paid the database
/// per publish. A copy is only ever a shortcut for a read, and stays as right as one through four rules:
/// <list type="number">
/// <item>A copy is used for at most <c>lifetime</c> after its read began, and only while this node's own heartbeat
/// is fresh (<see cref="RenewLease"/>): a node the others count as dead, or one that has not registered yet, and
/// so would not be asked to forget, uses none.</item>
/// <item>Whatever a later publish must see is announced to every node before anyone is told it happened: a session
/// created or claimed (before its <c>auth_ok</c>), a copy left in a session's inbox (before the publish is durable).
/// The announcer calls <see cref="ISessionListInvalidation.ForgetEverywhereAsync"/>, which returns once every node
/// has dropped its copy or the copies' lifetime has run out.</item>
/// <item>A read that began before a forget reached this node is not kept (it may predate the change).</item>
/// <item>Only lists a publish can act on without reading more are kept: every session attached to a node and
/// nothing waiting in any inbox. A user with a detached session is read each time, as before.</item>
/// </list>
/// </summary>
public sealed class UserSessionCache
{
    private readonly object _gate = new();
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly long _lifetime;     // timestamp units; 0: nothing is kept
    private readonly long _leaseLength;  // timestamp units a heartbeat keeps the copies usable
    private long _forgets;               // bumped by every forget (a read that began before one is not kept)
    private long _usableUntil;           // timestamp; 0: no heartbeat yet
    private long _keepReadsFrom = long.MaxValue; // reads that began before this are not kept (before registering)

    /// <param name="time">The clock.</param>
    /// <param name="lifetime">How long after its read began a copy may be used; zero turns the cache off.</param>
    /// <param name="leaseLength">How long after a heartbeat began the copies stay usable without another.</param>
    public UserSessionCache(TimeProvider time, TimeSpan lifetime, TimeSpan leaseLength)
    {
        _time = time;
        _lifetime = ToTimestamp(lifetime);
        _leaseLength = ToTimestamp(leaseLength);
    }

    /// <summary>A cache that keeps nothing (grains built without one: every publish reads).</summary>
    public static UserSessionCache Off(TimeProvider time) => new(time, TimeSpan.Zero, TimeSpan.Zero);

    /// <summary>Number of users with a copy held (some may have expired since the last <see cref="RemoveExpired"/>).</summary>
    public int Count => _entries.Count;

    /// <summary>The user's session list if a usable copy is held.</summary>
    public bool TryGet(string userId, out IReadOnlyList<UserSession> sessions)
    {
        if (_lifetime > 0 && _entries.TryGetValue(userId, out var entry))
        {
            var now = _time.GetTimestamp();
            if (now - entry.ReadStarted < _lifetime && now < Volatile.Read(ref _usableUntil))
            {
                sessions = entry.Sessions;
                return true;
            }
        }
        sessions = [];
        return false;
    }

    /// <summary>Call before reading a list from the store; hand the ticket to <see cref="Keep"/>.</summary>
    public ReadTicket BeginRead() => new(Interlocked.Read(ref _forgets), _time.GetTimestamp());

    /// <summary>Keeps what a read returned, unless a forget came since it began or the list is not one to keep (rule 4).</summary>
    public void Keep(string userId, ReadTicket ticket, IReadOnlyList<UserSession> sessions)
    {
        if (_lifetime == 0 || ticket.Started < Volatile.Read(ref _keepReadsFrom) || !IsKeepable(sessions))
        {
            return;
        }
        lock (_gate)
        {
            if (ticket.Forgets == _forgets)
            {
                _entries[userId] = new Entry(sessions, ticket.Started);
            }
        }
    }

    /// <summary>Drops the copies of <paramref name="userIds"/> (null: of everyone); reads in flight are not kept.</summary>
    public void Forget(IReadOnlyList<string>? userIds)
    {
        lock (_gate)
        {
            _forgets++;
            if (userIds is null)
            {
                _entries.Clear();
                return;
            }
            foreach (var userId in userIds)
            {
                _entries.TryRemove(userId, out _);
            }
        }
    }

    /// <summary>
    /// This node's heartbeat that began at <paramref name="started"/> committed (its row, with its address, is what
    /// other nodes read to know whom to ask to forget). After a lapse (or at the first heartbeat) every copy is
    /// dropped and only reads that begin from now on are kept: nobody asked this node to forget meanwhile.
    /// </summary>
    public void RenewLease(long started)
    {
        if (_lifetime == 0)
        {
            return;
        }
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (started >= _usableUntil)
            {
                _forgets++;
                _entries.Clear();
                Volatile.Write(ref _keepReadsFrom, now);
            }
            Volatile.Write(ref _usableUntil, Math.Max(_usableUntil, started + _leaseLength));
        }
    }

    /// <summary>Drops copies past their lifetime (each heartbeat), so users nobody publishes to cost no memory.</summary>
    public void RemoveExpired()
    {
        var now = _time.GetTimestamp();
        foreach (var (userId, entry) in _entries)
        {
            if (now - entry.ReadStarted >= _lifetime)
            {
                _entries.TryRemove(new KeyValuePair<string, Entry>(userId, entry));
            }
        }
    }

    private static bool IsKeepable(IReadOnlyList<UserSession> sessions)
    {
        foreach (var session in sessions)
        {
            if (session.OwnerNode is null || session.WaitingInbox is { Count: > 0 })
            {
                return false;
            }
        }
        return true;
    }

    private long ToTimestamp(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private sealed record Entry(IReadOnlyList<UserSession> Sessions, long ReadStarted);
}

/// <summary>When a read of a session list began, and how many forgets this node had seen then.</summary>
public readonly record struct ReadTicket(long Forgets, long Started);
