using System.Data.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSync.Cluster;
using OrleansSync.Conversations;
using OrleansSync.Delivery;
using OrleansSync.Concurrency;
using static OrleansSync.Storage.Ado.SqlCommands;

namespace OrleansSync.Storage.Ado;

/// <summary>
/// Sessions, queues, inboxes, socket locations and the room outbox over ADO.NET: reads and claims on pooled
/// connections, hot-path writes through the <see cref="BatchWriter"/> (group commit).
/// </summary>
public sealed partial class AdoSessionStore : ISessionStore, ISocketLocations, IRoomOutbox, IAsyncDisposable
{
    private readonly SqlDialect _dialect;
    private readonly StoreFaults _faults;
    private readonly ILogger _logger;
    private readonly BatchWriter _writer;
    private readonly CallCoalescer<(string UserId, string NodeId), IReadOnlyList<UserSession>>? _userSessionReads;

    /// <summary>Creates the store; call <see cref="MigrateAsync"/> before use.</summary>
    /// <param name="dialect">The database.</param>
    /// <param name="logger">Where batch failures go.</param>
    /// <param name="options">Commit delay and batch size.</param>
    /// <param name="sessionLists">
    /// Told (every user) when queue writes were fenced out into an inbox, before those writes complete: a session list
    /// kept by a user grain must not let a later publish overtake such a copy (see <see cref="Delivery.UserGrain"/>).
    /// </param>
    /// <param name="health">Hears the outcome of every write (nobody when not given).</param>
    public AdoSessionStore(SqlDialect dialect, ILogger<AdoSessionStore> logger, IOptions<StoreOptions>? options = null,
        ISessionListInvalidation? sessionLists = null, StoreHealth? health = null)
    {
        _dialect = dialect;
        _faults = new StoreFaults(dialect, health);
        _logger = logger;
        var store = options?.Value ?? new StoreOptions();
        _writer = new BatchWriter(dialect, _faults, logger, store.CommitDelay ?? dialect.DefaultCommitDelay,
            store.CommitBatchSize ?? dialect.DefaultCommitBatchSize,
            sessionLists is null ? null : () => sessionLists.ForgetEverywhereAsync(null));
        _userSessionReads = dialect.PipelinesStatements ? new(ReadSessionsOfUsersAsync) : null;
    }

    /// <summary>Raised after each committed batch with its size and duration.</summary>
    public event Action<int, TimeSpan>? BatchCommitted
    {
        add => _writer.BatchCommitted += value;
        remove => _writer.BatchCommitted -= value;
    }

    /// <summary>Creates or upgrades the schema.</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await _dialect.MigrateAsync(connection, _logger, cancellationToken).ConfigureAwait(false);
    }

    // ---- sessions ----

    /// <inheritdoc />
    /// <remarks>
    /// One transaction: (PostgreSQL) the user's lock, the insert, a count, and only when the user is over the bound, a
    /// read of the oldest others and their deletion by id (a second read could pick others if a claim moved one meanwhile).
    /// </remarks>
    public async Task<IReadOnlyList<RemovedSession>> CreateSessionAsync(SessionRecord session, int maxSessionsPerUser = int.MaxValue,
        CancellationToken cancellationToken = default)
    {
        IReadOnlyList<RemovedSession> removed = [];
        try
        {
            await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            if (_dialect.LockUserSessions is { } lockUser)
            {
                await ReadAsync(connection, transaction, lockUser, static _ => true, cancellationToken, ("user_id", session.UserId)).ConfigureAwait(false);
            }
            await ExecuteAsync(connection, transaction, _dialect.InsertSession, cancellationToken, ("session_id", session.SessionId), ("user_id", session.UserId),
                ("need_full_sync", session.NeedFullSync), ("retention_deadline", session.RetentionDeadline is { } d ? ToUnixMs(d) : null),
                ("created_at", ToUnixMs(session.DetachedAt ?? DateTimeOffset.UtcNow))).ConfigureAwait(false);
            var count = (await ReadAsync(connection, transaction, _dialect.CountUserSessions, static r => r.GetInt64(0), cancellationToken,
                ("user_id", session.UserId)).ConfigureAwait(false))[0];
            if (count > maxSessionsPerUser)
            {
                removed = await ReadAsync(connection, transaction, _dialect.SelectOldestSessionsOfUser, static r => new RemovedSession(r.GetString(0), NullableString(r, 1)),
                    cancellationToken, ("user_id", session.UserId), ("session_id", session.SessionId), ("limit", count - maxSessionsPerUser)).ConfigureAwait(false);
                foreach (var old in removed)
                {
                    await ExecuteAsync(connection, transaction, _dialect.DeleteQueueOf, cancellationToken, ("session_id", old.SessionId)).ConfigureAwait(false);
                    await ExecuteAsync(connection, transaction, _dialect.DeleteInboxOf, cancellationToken, ("session_id", old.SessionId)).ConfigureAwait(false);
                    await ExecuteAsync(connection, transaction, _dialect.DeleteSessionRow, cancellationToken, ("session_id", old.SessionId)).ConfigureAwait(false);
                }
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (_faults.Describe(exception) is { } reason)
        {
            throw _faults.Unavailable(reason, exception, StoreWritePath.Direct);
        }
        _faults.Succeeded(StoreWritePath.Direct);
        return removed;
    }

    /// <inheritdoc />
    public async Task<ClaimedSession?> ClaimSessionAsync(string sessionId, string userId, string nodeId, CancellationToken cancellationToken = default)
    {
        // The claim bumps the epoch, which fences every older write: this node's own writes still queued (a
        // socket that just closed cleared the flag, released the session) must land first, or they are lost.
        await _writer.WhenDrained().WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var claimed = await ClaimAsync(sessionId, userId, nodeId, cancellationToken).ConfigureAwait(false);
            if (claimed is not null)
            {
                _faults.Succeeded(StoreWritePath.Direct);
            }
            return claimed;
        }
        catch (Exception exception) when (_faults.Describe(exception) is { } reason)
        {
            throw _faults.Unavailable(reason, exception, StoreWritePath.Direct);
        }
    }

    private async Task<ClaimedSession?> ClaimAsync(string sessionId, string userId, string nodeId, CancellationToken cancellationToken)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // One row (its owner, possibly null) if the session exists and is this user's; none otherwise.
        var previous = await ReadAsync(connection, transaction, _dialect.SelectOwnerForClaim, static r => NullableString(r, 0),
            cancellationToken, ("session_id", sessionId), ("user_id", userId)).ConfigureAwait(false);
        if (previous.Count == 0)
        {
            return null; // no such session, or another user's: never touched
        }
        await ExecuteAsync(connection, transaction, _dialect.ClaimSession, cancellationToken,
            ("session_id", sessionId), ("user_id", userId), ("node_id", nodeId)).ConfigureAwait(false);
        var session = (await ReadAsync(connection, transaction, _dialect.SelectSession, r => ReadSession(sessionId, r), cancellationToken,
            ("session_id", sessionId)).ConfigureAwait(false))[0];
        var queue = await ReadAsync(connection, transaction, _dialect.SelectQueue,
            static r => new StoredEvent(r.GetInt64(0), r.GetString(1), r.IsDBNull(2) ? null! : (byte[])r.GetValue(2), r.IsDBNull(3) ? null : FromUnixMs(r.GetInt64(3))),
            cancellationToken, ("session_id", sessionId)).ConfigureAwait(false);
        var inbox = await ReadAsync(connection, transaction, _dialect.SelectInbox, static r => new InboxEvent(r.GetInt64(0), r.GetString(1),
            r.IsDBNull(2) ? null! : (byte[])r.GetValue(2)), cancellationToken, ("session_id", sessionId)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        if (!session.NeedFullSync && (queue.Any(static e => e.Frame is null) || inbox.Any(static e => e.Frame is null)))
        {
            // A row whose body is gone cannot be replayed, so the session must not be told all is well: it re-reads its
            // state instead (and the resume drops what it holds). Rows of flagged sessions only are expected to lose
            // their body (a PostgreSQL write racing the flag, see SessionGrain); anything else is a bug worth a warning.
            Log.EventBodyMissing(_logger, sessionId);
            session = session with { NeedFullSync = true };
        }
        return new ClaimedSession(session, queue, inbox, previous[0]);
    }

    /// <inheritdoc />
    /// <remarks>On a database server, publishes that overlap share a round trip (<see cref="CallCoalescer{TKey, TValue}"/>).</remarks>
    public async Task<IReadOnlyList<UserSession>> LoadUserSessionsAsync(string userId, string nodeId, CancellationToken cancellationToken = default)
    {
        try
        {
            return await (_userSessionReads is { } reads
                ? reads.CallAsync((userId, nodeId), cancellationToken)
                : ReadUserSessionsAsync(userId, nodeId, cancellationToken)).ConfigureAwait(false);
        }
        catch (Exception exception) when (_faults.Describe(exception) is { } reason)
        {
            throw _faults.Unavailable(reason, exception, StoreWritePath.Direct); // a publish cannot go on without the read
        }
    }

    private async Task<IReadOnlyList<UserSession>> ReadUserSessionsAsync(string userId, string nodeId, CancellationToken cancellationToken)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await ReadAsync(connection, _dialect.SelectUserSessions, ReadUserSessionRow,
            cancellationToken, ("user_id", userId), ("node_id", nodeId)).ConfigureAwait(false);
        return FoldUserSessions(rows);
    }

    /// <summary>One statement per user, all in one pipelined batch: each keeps its prepared plan (one statement for all
    /// the users, over an array, was planned anew on every call: 150 µs of PostgreSQL's time a call).</summary>
    private async Task<IReadOnlyList<IReadOnlyList<UserSession>>> ReadSessionsOfUsersAsync(
        IReadOnlyList<(string UserId, string NodeId)> users, CancellationToken cancellationToken)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = connection.CreateBatch();
        foreach (var (userId, nodeId) in users)
        {
            AppendToBatch(batch, _dialect.SelectUserSessions, ["user_id", "node_id"], userId, nodeId);
        }
        var rowsOfEach = await ReadBatchAsync(batch, ReadUserSessionRow, cancellationToken).ConfigureAwait(false);
        return rowsOfEach.ConvertAll(rows => (IReadOnlyList<UserSession>)FoldUserSessions(rows));
    }

    private static UserSessionRow ReadUserSessionRow(DbDataReader r) =>
        new(r.GetString(0), NullableString(r, 1), r.IsDBNull(2) ? null : ReadInbox(r, 2));

    /// <summary>
    /// Groups the rows (one per session, or one per waiting inbox event of a session, in any order) into sessions, each
    /// with its waiting events oldest first.
    /// </summary>
    private static List<UserSession> FoldUserSessions(IEnumerable<UserSessionRow> rows)
    {
        var sessions = new List<UserSession>();
        Dictionary<string, List<InboxEvent>>? waitingOf = null; // only sessions with something waiting come twice
        foreach (var row in rows)
        {
            if (row.Waiting is null)
            {
                sessions.Add(new UserSession(row.SessionId, row.Owner));
                continue;
            }
            waitingOf ??= new Dictionary<string, List<InboxEvent>>(StringComparer.Ordinal);
            if (waitingOf.TryGetValue(row.SessionId, out var waiting))
            {
                waiting.Add(row.Waiting);
                continue;
            }
            waitingOf[row.SessionId] = waiting = [row.Waiting];
            sessions.Add(new UserSession(row.SessionId, row.Owner, waiting));
        }
        if (waitingOf is not null)
        {
            foreach (var waiting in waitingOf.Values)
            {
                waiting.Sort(static (a, b) => a.Id.CompareTo(b.Id));
            }
        }
        return sessions;
    }

    private readonly record struct UserSessionRow(string SessionId, string? Owner, InboxEvent? Waiting);

    /// <inheritdoc />
    public async Task<IReadOnlyList<OwnedInboxEvent>> LoadOwnedInboxAsync(string nodeId, long afterId, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAsync(connection, _dialect.SelectOwnedInbox, static r => new OwnedInboxEvent(r.GetString(0),
            new InboxEvent(r.GetInt64(1), r.GetString(2), (byte[])r.GetValue(3))), cancellationToken, ("node_id", nodeId), ("after", afterId), ("limit", limit)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> FindSessionsNotOwnedByAsync(string nodeId, IReadOnlyList<string> sessionIds, CancellationToken cancellationToken = default)
    {
        var notOwned = new List<string>();
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var chunk in sessionIds.Chunk(500))
        {
            var parameters = new (string, object?)[chunk.Length + 1];
            parameters[0] = ("node_id", nodeId);
            for (var i = 0; i < chunk.Length; i++)
            {
                parameters[i + 1] = ($"s{i}", chunk[i]);
            }
            var idList = string.Join(", ", Enumerable.Range(0, chunk.Length).Select(i => $"@s{i}"));
            var owned = (await ReadAsync(connection, _dialect.SelectOwnedAmong(idList), static r => r.GetString(0), cancellationToken, parameters)
                .ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
            notOwned.AddRange(chunk.Where(id => !owned.Contains(id)));
        }
        return notOwned;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<OwnedSession>> FindOwnedSessionsAsync(string nodeId, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAsync(connection, _dialect.SelectOwnedSessions, static r => new OwnedSession(r.GetString(0), r.GetInt64(1)), cancellationToken,
            ("node_id", nodeId)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>One statement per session (each fenced on its own), in one transaction: releases are rare and few.</remarks>
    public async Task<int> ReleaseOwnedSessionsAsync(string nodeId, IReadOnlyList<OwnedSession> sessions, DateTimeOffset detachedAt, DateTimeOffset deadline,
        CancellationToken cancellationToken = default)
    {
        if (sessions.Count == 0)
        {
            return 0;
        }
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var released = 0;
        foreach (var session in sessions)
        {
            released += await ExecuteAsync(connection, transaction, _dialect.ReleaseOwnedSession, cancellationToken, ("session_id", session.SessionId),
                ("node_id", nodeId), ("epoch", session.Epoch), ("detached_at", ToUnixMs(detachedAt)), ("deadline", ToUnixMs(deadline))).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return released;
    }

    /// <inheritdoc />
    public async Task<int> ExpireSessionsAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var at = ToUnixMs(now);
        if ((await ReadAsync(connection, _dialect.AnyExpiredSession, static r => true, cancellationToken, ("now", at)).ConfigureAwait(false)).Count == 0)
        {
            return 0;
        }
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, _dialect.DeleteExpiredQueues, cancellationToken, ("now", at)).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, _dialect.DeleteExpiredInboxes, cancellationToken, ("now", at)).ConfigureAwait(false);
        var expired = await ExecuteAsync(connection, transaction, _dialect.FlagExpiredSessions, cancellationToken, ("now", at), ("true", true)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return expired;
    }

    /// <inheritdoc />
    public async Task<int> FlagOverflowingSessionsAsync(int maxQueued, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var overflowing = await ReadAsync(connection, _dialect.SelectOverflowingSessions, static r => r.GetString(0), cancellationToken,
            ("max", maxQueued), ("false", false)).ConfigureAwait(false);
        var flagged = 0;
        foreach (var sessionId in overflowing)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            // Flag first: if a node claimed the session meanwhile, nothing is dropped.
            if (await ExecuteAsync(connection, transaction, _dialect.FlagDetachedSession, cancellationToken, ("session_id", sessionId), ("true", true))
                    .ConfigureAwait(false) == 1)
            {
                await ExecuteAsync(connection, transaction, _dialect.DeleteQueueOf, cancellationToken, ("session_id", sessionId)).ConfigureAwait(false);
                await ExecuteAsync(connection, transaction, _dialect.DeleteInboxOf, cancellationToken, ("session_id", sessionId)).ConfigureAwait(false);
                flagged++;
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        return flagged;
    }

    /// <inheritdoc />
    public async Task<int> ReleaseSessionsOfNodeAsync(string nodeId, DateTimeOffset detachedAt, DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ExecuteAsync(connection, null, _dialect.ReleaseSessionsOfNode, cancellationToken,
            ("node_id", nodeId), ("detached_at", ToUnixMs(detachedAt)), ("deadline", ToUnixMs(deadline))).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Queue and inbox rows go first, by the same condition, in one transaction. On PostgreSQL a session claimed between
    /// those statements keeps its row (the last statement re-checks it), and it is flagged: its lifetime is longer than its
    /// retention window, so the expiry came first.
    /// </remarks>
    public async Task<int> DeleteEndedSessionsAsync(DateTimeOffset detachedBefore, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var before = ToUnixMs(detachedBefore);
        if ((await ReadAsync(connection, _dialect.AnyEndedSession, static r => true, cancellationToken, ("before", before)).ConfigureAwait(false)).Count == 0)
        {
            return 0;
        }
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, _dialect.DeleteEndedQueues, cancellationToken, ("before", before)).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, _dialect.DeleteEndedInboxes, cancellationToken, ("before", before)).ConfigureAwait(false);
        var deleted = await ExecuteAsync(connection, transaction, _dialect.DeleteEndedSessions, cancellationToken, ("before", before)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    /// <summary>
    /// Bodies one call looks at (the next ones by event id after the previous call's, from the start again after the
    /// last): each costs two index lookups, so a sweep stays cheap however many events are queued, and a body is
    /// deleted within (bodies stored / this) sweeps of its last row going.
    /// </summary>
    private const int BodySweepWindow = 10_000;

    private string _bodySweepAfter = ""; // the sweeper's own (one sweep at a time)

    /// <inheritdoc />
    public async Task<int> DeleteUnreferencedEventBodiesAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var after = _bodySweepAfter;
        var (last, size) = (await ReadAsync(connection, _dialect.BodyWindowEnd, static r => (NullableString(r, 0), r.GetInt64(1)), cancellationToken,
            ("after", after), ("scan", BodySweepWindow)).ConfigureAwait(false))[0];
        _bodySweepAfter = size < BodySweepWindow ? "" : last!;
        if (size == 0 || (await ReadAsync(connection, _dialect.AnyUnreferencedBody, static r => true, cancellationToken,
                ("after", after), ("scan", BodySweepWindow)).ConfigureAwait(false)).Count == 0)
        {
            return 0;
        }
        return await ExecuteAsync(connection, null, _dialect.DeleteUnreferencedBodies, cancellationToken, ("after", after), ("scan", BodySweepWindow))
            .ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<long> ReclaimSpaceAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await _dialect.ReclaimSpaceAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task SaveSessionAsync(SessionRecord session) =>
        _writer.Enqueue(new StoreWrite(StoreWriteKind.UpdateSession, session.SessionId, Session: session));

    /// <inheritdoc />
    public Task DeleteSessionAsync(string sessionId, long epoch) => _writer.Enqueue(new StoreWrite(StoreWriteKind.DeleteSession, sessionId, epoch));

    /// <inheritdoc />
    public Task AppendEventAsync(string sessionId, long epoch, long sequence, string eventId, byte[] frame, DateTimeOffset? firstSentAt) =>
        _writer.Enqueue(new StoreWrite(StoreWriteKind.InsertEvent, sessionId, epoch, sequence, EventId: eventId, Frame: frame,
            FirstSentAt: firstSentAt is { } sent ? ToUnixMs(sent) : null));

    /// <inheritdoc />
    public Task MoveInboxEventAsync(string sessionId, long epoch, long inboxId, long sequence, string eventId, byte[] frame, DateTimeOffset? firstSentAt) =>
        _writer.Enqueue(new StoreWrite(StoreWriteKind.MoveInboxEvent, sessionId, epoch, sequence, inboxId, eventId, frame,
            FirstSentAt: firstSentAt is { } sent ? ToUnixMs(sent) : null));

    /// <inheritdoc />
    public Task MarkFirstSentAsync(string sessionId, string eventId, DateTimeOffset firstSentAt) =>
        _writer.Enqueue(new StoreWrite(StoreWriteKind.MarkFirstSent, sessionId, EventId: eventId, FirstSentAt: ToUnixMs(firstSentAt)));

    /// <inheritdoc />
    public Task DropInboxEventAsync(long inboxId) => _writer.Enqueue(new StoreWrite(StoreWriteKind.DropInboxEvent, "", InboxId: inboxId));

    /// <inheritdoc />
    public Task AppendInboxAsync(string sessionId, string eventId, byte[] frame, string? wakeNode = null) =>
        _writer.Enqueue(new StoreWrite(StoreWriteKind.InsertInbox, sessionId, EventId: eventId, Frame: frame, NodeId: wakeNode));

    /// <inheritdoc />
    public Task RemoveEventAsync(string sessionId, string eventId) =>
        _writer.Enqueue(new StoreWrite(StoreWriteKind.DeleteEvent, sessionId, EventId: eventId));

    /// <inheritdoc />
    public Task ClearQueueAsync(string sessionId, long epoch) => _writer.Enqueue(new StoreWrite(StoreWriteKind.ClearQueue, sessionId, epoch));

    /// <inheritdoc />
    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Create(connection, _dialect.Ping);
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    // ---- sockets ----

    /// <inheritdoc />
    public Task RegisterSocketAsync(string socketId, string nodeId) => _writer.Enqueue(new StoreWrite(StoreWriteKind.UpsertSocket, socketId, NodeId: nodeId));

    /// <inheritdoc />
    public Task SetSocketSessionAsync(string socketId, string sessionId, RoomCaller identity) =>
        _writer.Enqueue(new StoreWrite(StoreWriteKind.UpdateSocketSession, socketId, SessionId: sessionId, Identity: identity));

    /// <inheritdoc />
    public Task UnregisterSocketAsync(string socketId) => _writer.Enqueue(new StoreWrite(StoreWriteKind.DeleteSocket, socketId));

    /// <inheritdoc />
    public async Task<SocketLocation?> FindSocketAsync(string socketId, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await ReadAsync(connection, _dialect.SelectSocket, r => new SocketLocation(socketId, r.GetString(0), NullableString(r, 1),
            r.IsDBNull(3) ? null : new RoomCaller(NullableString(r, 2) ?? "", r.GetString(3), NullableString(r, 4) ?? "")),
            cancellationToken, ("socket_id", socketId)).ConfigureAwait(false);
        return rows.FirstOrDefault();
    }

    // ---- outbox ----

    /// <inheritdoc />
    public async Task AppendOutboxAsync(IReadOnlyList<(string NodeId, string SocketId)> sockets, string churchId, string conversationId, byte[] frame)
    {
        await using var connection = await _dialect.OpenConnectionAsync(CancellationToken.None).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
        foreach (var (nodeId, socketId) in sockets)
        {
            await ExecuteAsync(connection, transaction, _dialect.InsertOutbox, CancellationToken.None, ("node_id", nodeId), ("socket_id", socketId),
                ("church_id", churchId), ("conversation_id", conversationId), ("frame", frame)).ConfigureAwait(false);
        }
        await transaction.CommitAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<OutboxPayload>> TakeOutboxAsync(string nodeId, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if ((await ReadAsync(connection, _dialect.AnyOutbox, static r => true, cancellationToken, ("node_id", nodeId)).ConfigureAwait(false)).Count == 0)
        {
            return [];
        }
        var rows = await ReadAsync(connection, _dialect.TakeOutbox, static r => new OutboxPayload(r.GetInt64(0), r.GetString(1), r.GetString(2),
            r.GetString(3), (byte[])r.GetValue(4)), cancellationToken, ("node_id", nodeId), ("limit", limit)).ConfigureAwait(false);
        rows.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        return rows;
    }

    /// <inheritdoc />
    public async Task ForgetNodeSocketsAsync(string nodeId, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, null, _dialect.DeleteOutboxOfNode, cancellationToken, ("node_id", nodeId)).ConfigureAwait(false);
        await ExecuteAsync(connection, null, _dialect.DeleteSocketsOfNode, cancellationToken, ("node_id", nodeId)).ConfigureAwait(false);
    }

    /// <summary>Flushes queued writes.</summary>
    public ValueTask DisposeAsync() => _writer.DisposeAsync();

    private static SessionRecord ReadSession(string sessionId, DbDataReader r) => new(sessionId, r.GetString(0), r.GetBoolean(1),
        r.IsDBNull(2) ? null : FromUnixMs(r.GetInt64(2)), NullableString(r, 3), r.GetInt64(4), r.IsDBNull(5) ? null : FromUnixMs(r.GetInt64(5)));

    private static InboxEvent ReadInbox(DbDataReader r, int first) => new(r.GetInt64(first), r.GetString(first + 1), (byte[])r.GetValue(first + 2));

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Session {SessionId}: a queued or inbox event's body is missing; the session gets need_full_sync instead of a replay.")]
        public static partial void EventBodyMissing(ILogger logger, string sessionId);
    }
}
