using System.Data.Common;
using Microsoft.Extensions.Logging;

namespace OrleansSync.Storage.Ado;

/// <summary>
/// Everything that differs between databases: how to connect, the schema, and the SQL text of each
/// statement. All statements use named parameters <c>@name</c>, which both SQLite and Npgsql accept; the base
/// class holds the standard SQL both understand, a dialect overrides what differs.
/// </summary>
public abstract partial class SqlDialect
{
    /// <summary>Opens a new connection, configured for this dialect.</summary>
    public abstract Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <summary>Creates or upgrades the schema; safe to run on every start, and by several nodes at once. Long steps are logged.</summary>
    public abstract Task MigrateAsync(DbConnection connection, ILogger logger, CancellationToken cancellationToken);

    /// <summary>
    /// Gives free file space back to the file system where the database leaves that to its user (see
    /// <c>ISessionStore.ReclaimSpaceAsync</c>); returns the bytes released. None by default: a database server's own
    /// vacuum does it (PostgreSQL's autovacuum makes the space of deleted rows reusable; the files do not shrink).
    /// </summary>
    public virtual Task<long> ReclaimSpaceAsync(DbConnection connection, CancellationToken cancellationToken) => Task.FromResult(0L);

    /// <summary>Runs <paramref name="work"/> unless another node runs work of the same name (see <c>INodeStore.TryRunExclusiveAsync</c>).</summary>
    public abstract Task<bool> TryRunExclusiveAsync(string name, Func<CancellationToken, Task> work, CancellationToken cancellationToken);

    /// <summary>
    /// True where a round trip is dear (a database server): the batch writer then sends a whole group commit as one
    /// pipelined batch, falling back to statement by statement when a fenced write does not match (see <c>PreparedWrites</c>),
    /// and the publish reads of overlapping publishes share a round trip (see <c>CallCoalescer</c>).
    /// </summary>
    public virtual bool PipelinesStatements => false;

    /// <summary>Prepares one of the batch writer's statements on <paramref name="connection"/> (see <see cref="WriteStatement"/>).</summary>
    internal virtual WriteStatement PrepareWrite(DbConnection connection, string sql, string[] parameterNames) =>
        new AdoWriteStatement(connection, sql, parameterNames);

    /// <summary>
    /// A few words on what the database said, when <paramref name="exception"/> means it cannot take writes now (read-only,
    /// full, failing I/O, unreachable) and the same write may succeed later; null for anything else (a bug, a constraint).
    /// See <see cref="StoreFaults"/>.
    /// </summary>
    public virtual string? DescribeFault(Exception exception) => null;

    /// <summary>
    /// Closes the idle pooled connections (and those in use once they are returned): after a fault, new writes must
    /// not reuse a connection opened while the database could not write (SQLite opens a write-protected file read-only,
    /// PostgreSQL keeps a session's <c>default_transaction_read_only</c>).
    /// </summary>
    public virtual void ResetConnections()
    {
    }

    /// <summary>
    /// @probe_id: a write the database must really make (a row in and out in one transaction, seen by nobody), which
    /// the group commit runs while its writes fail, to find out when they can succeed again (<see cref="StoreHealth"/>).
    /// </summary>
    public virtual string ProbeWrite =>
        "INSERT INTO sockets (socket_id, node_id) VALUES (@probe_id, ''); DELETE FROM sockets WHERE socket_id = @probe_id";

    /// <summary>The group commit delay when <c>Store:CommitDelay</c> is not set (see <see cref="StoreOptions.CommitDelay"/>).</summary>
    public virtual TimeSpan DefaultCommitDelay => TimeSpan.Zero;

    /// <summary>The group commit's batch size when <c>Store:CommitBatchSize</c> is not set (see <see cref="StoreOptions.CommitBatchSize"/>).</summary>
    public virtual int DefaultCommitBatchSize => 256;

    /// <summary>
    /// Array statements for runs of queue and inbox writes in a pipelined batch (see <c>QueueWriteRun</c>); null: one
    /// statement per write.
    /// </summary>
    public virtual QueueWriteArraySql? QueueWriteArrays => null;

    /// <summary>
    /// @payload: wakes another node about its inbox from inside a write batch's transaction, so the wake-up
    /// leaves only once the event is durable and costs no transaction of its own. Null: no wake-ups (one node).
    /// </summary>
    public virtual string? WakeInboxOwner => null;

    /// <summary>The @payload of <see cref="WakeInboxOwner"/> for <paramref name="nodeId"/>.</summary>
    public virtual string InboxWakePayload(string nodeId) => nodeId;

    /// <summary>Appended to a SELECT that must lock the rows it reads until the transaction ends ("" where the transaction already does).</summary>
    public virtual string LockRows => "";

    // ---- sessions ----

    /// <summary>@session_id, @user_id, @need_full_sync, @retention_deadline, @created_at (also its detach time: a new session is detached).</summary>
    public virtual string InsertSession =>
        "INSERT INTO sessions (session_id, user_id, need_full_sync, retention_deadline, owner_node, epoch, created_at, detached_at) " +
        "VALUES (@session_id, @user_id, @need_full_sync, @retention_deadline, NULL, 0, @created_at, @created_at)";

    /// <summary>
    /// @user_id: taken before a new session of the user is inserted, so two creations for one user never both miss the
    /// other's row when they count (null where the transaction's write lock already serialises them: SQLite).
    /// </summary>
    public virtual string? LockUserSessions => null;

    /// <summary>@user_id → how many sessions the user has.</summary>
    public virtual string CountUserSessions => "SELECT COUNT(*) FROM sessions WHERE user_id = @user_id";

    /// <summary>
    /// @user_id, @session_id, @limit → session_id, owner_node of the user's @limit oldest sessions other than @session_id:
    /// detached ones first, longest detached first, then attached ones, oldest first.
    /// </summary>
    public virtual string SelectOldestSessionsOfUser =>
        "SELECT session_id, owner_node FROM sessions WHERE user_id = @user_id AND session_id <> @session_id " +
        "ORDER BY CASE WHEN owner_node IS NULL THEN 0 ELSE 1 END, detached_at, created_at, session_id LIMIT @limit";

    /// <summary>@session_id: unfenced (the per-user bound deletes attached sessions too; their owner's later writes match no row).</summary>
    public virtual string DeleteSessionRow => "DELETE FROM sessions WHERE session_id = @session_id";

    /// <summary>@session_id, @user_id → owner_node (locked for the claim).</summary>
    public virtual string SelectOwnerForClaim => "SELECT owner_node FROM sessions WHERE session_id = @session_id AND user_id = @user_id" + LockRows;

    /// <summary>@session_id, @user_id, @node_id.</summary>
    public virtual string ClaimSession =>
        "UPDATE sessions SET owner_node = @node_id, epoch = epoch + 1, detached_at = NULL WHERE session_id = @session_id AND user_id = @user_id";

    /// <summary>@session_id → user_id, need_full_sync, retention_deadline, owner_node, epoch, detached_at.</summary>
    public virtual string SelectSession =>
        "SELECT user_id, need_full_sync, retention_deadline, owner_node, epoch, detached_at FROM sessions WHERE session_id = @session_id";

    /// <summary>@session_id, @epoch, @need_full_sync, @retention_deadline, @owner_node, @detached_at: fenced update.</summary>
    public virtual string UpdateSession =>
        "UPDATE sessions SET need_full_sync = @need_full_sync, retention_deadline = @retention_deadline, owner_node = @owner_node, " +
        "detached_at = @detached_at WHERE session_id = @session_id AND epoch = @epoch";

    /// <summary>@session_id, @epoch: fenced delete.</summary>
    public virtual string DeleteSession => "DELETE FROM sessions WHERE session_id = @session_id AND epoch = @epoch";

    /// <summary>
    /// @user_id, @node_id → session_id, owner_node, and inbox rows (id, event_id, frame; nulls if none): all of them for
    /// the sessions @node_id owns, the oldest one for the others; one row per inbox row, or one per session without
    /// any, in no particular order (the store groups and orders them, so the database need not sort). Inbox rows whose
    /// body is missing are left out: they cannot be delivered (see <c>AdoSessionStore.ClaimSessionAsync</c>).
    /// </summary>
    public virtual string SelectUserSessions =>
        "SELECT s.session_id, s.owner_node, i.id, i.event_id, b.frame FROM sessions s " +
        "LEFT JOIN inbox i ON i.session_id = s.session_id " +
        "AND (s.owner_node = @node_id OR i.id = (SELECT MIN(oldest.id) FROM inbox oldest WHERE oldest.session_id = s.session_id)) " +
        "AND EXISTS (SELECT 1 FROM event_bodies body WHERE body.event_id = i.event_id) " +
        "LEFT JOIN event_bodies b ON b.event_id = i.event_id " +
        "WHERE s.user_id = @user_id";

    /// <summary>@node_id, @after, @limit → session_id, id, event_id, frame of the inbox rows above @after of sessions the node owns, oldest first.</summary>
    /// <remarks>
    /// The owner is looked up per inbox row (a correlated subquery both databases run as one key lookup each): a
    /// drain after a wake-up reads a handful of rows above @after, and a join would instead hash every session the
    /// node owns on each drain (measured on PostgreSQL: 0.66 ms a drain, a fifth of its CPU under load).
    /// </remarks>
    public virtual string SelectOwnedInbox =>
        "SELECT i.session_id, i.id, i.event_id, b.frame FROM inbox i JOIN event_bodies b ON b.event_id = i.event_id " +
        "WHERE i.id > @after AND (SELECT s.owner_node FROM sessions s WHERE s.session_id = i.session_id) = @node_id ORDER BY i.id LIMIT @limit";

    /// <summary>@node_id and an id list → those the node owns.</summary>
    public virtual string SelectOwnedAmong(string idList) => $"SELECT session_id FROM sessions WHERE owner_node = @node_id AND session_id IN ({idList})";

    /// <summary>Detached sessions past their deadline (used inside the expiry statements).</summary>
    private const string ExpiredSessions =
        "SELECT session_id FROM sessions WHERE retention_deadline IS NOT NULL AND retention_deadline <= @now AND owner_node IS NULL";

    /// <summary>@now → 1 if any session expired (a read, so an idle sweep takes no write lock).</summary>
    public virtual string AnyExpiredSession => $"SELECT 1 FROM ({ExpiredSessions}) expired LIMIT 1";

    /// <summary>@now.</summary>
    public virtual string DeleteExpiredQueues => $"DELETE FROM session_events WHERE session_id IN ({ExpiredSessions})";

    /// <summary>@now.</summary>
    public virtual string DeleteExpiredInboxes => $"DELETE FROM inbox WHERE session_id IN ({ExpiredSessions})";

    /// <summary>@now, @true: rows affected = sessions expired.</summary>
    public virtual string FlagExpiredSessions =>
        "UPDATE sessions SET need_full_sync = @true, retention_deadline = NULL, epoch = epoch + 1 " +
        "WHERE retention_deadline IS NOT NULL AND retention_deadline <= @now AND owner_node IS NULL";

    /// <summary>@max, @false → detached, unflagged sessions whose inbox plus queue exceed the bound.</summary>
    public virtual string SelectOverflowingSessions =>
        "SELECT s.session_id FROM sessions s JOIN (SELECT session_id, COUNT(*) AS waiting FROM inbox GROUP BY session_id) i ON i.session_id = s.session_id " +
        "WHERE s.owner_node IS NULL AND s.need_full_sync = @false " +
        "AND i.waiting + (SELECT COUNT(*) FROM session_events e WHERE e.session_id = s.session_id) > @max";

    /// <summary>@session_id, @true: flag a detached session after its queue and inbox were dropped.</summary>
    public virtual string FlagDetachedSession =>
        "UPDATE sessions SET need_full_sync = @true, retention_deadline = NULL, epoch = epoch + 1 WHERE session_id = @session_id AND owner_node IS NULL";

    /// <summary>@session_id.</summary>
    public virtual string DeleteQueueOf => "DELETE FROM session_events WHERE session_id = @session_id";

    /// <summary>@session_id.</summary>
    public virtual string DeleteInboxOf => "DELETE FROM inbox WHERE session_id = @session_id";

    /// <summary>Sessions detached at or before @before (used inside the statements that delete them).</summary>
    private const string EndedSessions = "SELECT session_id FROM sessions WHERE detached_at IS NOT NULL AND detached_at <= @before AND owner_node IS NULL";

    /// <summary>@before → 1 if any session's lifetime is over (a read, so an idle sweep takes no write lock).</summary>
    public virtual string AnyEndedSession => $"SELECT 1 FROM ({EndedSessions}) ended LIMIT 1";

    /// <summary>@before.</summary>
    public virtual string DeleteEndedQueues => $"DELETE FROM session_events WHERE session_id IN ({EndedSessions})";

    /// <summary>@before.</summary>
    public virtual string DeleteEndedInboxes => $"DELETE FROM inbox WHERE session_id IN ({EndedSessions})";

    /// <summary>@before: rows affected = sessions deleted.</summary>
    public virtual string DeleteEndedSessions =>
        "DELETE FROM sessions WHERE detached_at IS NOT NULL AND detached_at <= @before AND owner_node IS NULL";

    /// <summary>What releasing a session without its grain sets (@detached_at, @deadline): its retention clock starts unless it is flagged.</summary>
    private const string ReleaseSessions =
        "UPDATE sessions SET owner_node = NULL, epoch = epoch + 1, detached_at = @detached_at, " +
        "retention_deadline = CASE WHEN need_full_sync THEN NULL ELSE @deadline END";

    /// <summary>@node_id, @detached_at, @deadline.</summary>
    public virtual string ReleaseSessionsOfNode => $"{ReleaseSessions} WHERE owner_node = @node_id";

    /// <summary>@node_id → session_id, epoch of every session the node owns (the partial index on owner_node).</summary>
    public virtual string SelectOwnedSessions => "SELECT session_id, epoch FROM sessions WHERE owner_node = @node_id";

    /// <summary>@session_id, @node_id, @epoch, @detached_at, @deadline: only while the node still owns it at that epoch.</summary>
    public virtual string ReleaseOwnedSession => $"{ReleaseSessions} WHERE session_id = @session_id AND owner_node = @node_id AND epoch = @epoch";

    // ---- queue and inbox ----

    /// <summary>
    /// @session_id → seq, event_id, frame (null if its body is missing), first_sent_at (null in rows older than the column)
    /// in seq order.
    /// </summary>
    public virtual string SelectQueue =>
        "SELECT e.seq, e.event_id, b.frame, e.first_sent_at FROM session_events e LEFT JOIN event_bodies b ON b.event_id = e.event_id " +
        "WHERE e.session_id = @session_id ORDER BY e.seq";

    /// <summary>
    /// @event_id, @frame: stores an event's bytes once, whatever the number of queue and inbox rows that refer to it. Every
    /// batch that writes such a row stores its body in the same transaction; finding it there already bumps touch, which
    /// tells a concurrent body sweep that the body is in use again (see <c>PostgresDialect.DeleteUnreferencedBodies</c>).
    /// </summary>
    public virtual string UpsertEventBody =>
        "INSERT INTO event_bodies (event_id, frame) VALUES (@event_id, @frame) ON CONFLICT (event_id) DO UPDATE SET touch = event_bodies.touch + 1";

    /// <summary>
    /// @after, @scan: the window of bodies one sweep looks at, the @scan next by event id after @after (event_id, touch).
    /// A window, so a sweep's cost stays bounded however many events are queued; the next sweep takes the next one.
    /// </summary>
    protected const string BodyWindow = "SELECT event_id, touch FROM event_bodies WHERE event_id > @after ORDER BY event_id LIMIT @scan";

    /// <summary>The bodies of the window that no queue or inbox row refers to (used inside the sweep's statements).</summary>
    protected const string UnreferencedInWindow =
        $"SELECT b.event_id, b.touch FROM ({BodyWindow}) b WHERE NOT EXISTS (SELECT 1 FROM session_events e WHERE e.event_id = b.event_id) " +
        "AND NOT EXISTS (SELECT 1 FROM inbox i WHERE i.event_id = b.event_id)";

    /// <summary>@after, @scan → the window's last event id and size (null and 0 past the last body).</summary>
    public virtual string BodyWindowEnd => $"SELECT MAX(w.event_id), COUNT(*) FROM ({BodyWindow}) w";

    /// <summary>@after, @scan → 1 if a body of the window is unreferenced (a read, so an idle sweep takes no write lock).</summary>
    public virtual string AnyUnreferencedBody => $"SELECT 1 FROM ({UnreferencedInWindow}) u LIMIT 1";

    /// <summary>@after, @scan: deletes the window's unreferenced bodies; rows affected = bodies deleted.</summary>
    public virtual string DeleteUnreferencedBodies => $"DELETE FROM event_bodies WHERE event_id IN (SELECT u.event_id FROM ({UnreferencedInWindow}) u)";

    /// <summary>@session_id, @epoch, @seq, @event_id, @first_sent_at: inserts only if the epoch is current (the body is stored apart).</summary>
    public virtual string InsertEventFenced =>
        "INSERT INTO session_events (session_id, seq, event_id, first_sent_at) SELECT @session_id, @seq, @event_id, @first_sent_at " +
        "WHERE EXISTS (SELECT 1 FROM sessions WHERE session_id = @session_id AND epoch = @epoch)";

    /// <summary>
    /// @session_id, @event_id, @first_sent_at: fills the first send of a row that has none. Not fenced by the epoch:
    /// whichever node sent the event, it was sent then, and a time already there is never replaced.
    /// </summary>
    public virtual string MarkFirstSent =>
        "UPDATE session_events SET first_sent_at = @first_sent_at WHERE session_id = @session_id AND event_id = @event_id AND first_sent_at IS NULL";

    /// <summary>@session_id, @event_id.</summary>
    public virtual string DeleteEvent => "DELETE FROM session_events WHERE session_id = @session_id AND event_id = @event_id";

    /// <summary>@session_id, @epoch.</summary>
    public virtual string DeleteQueueFenced =>
        "DELETE FROM session_events WHERE session_id = @session_id AND EXISTS (SELECT 1 FROM sessions WHERE session_id = @session_id AND epoch = @epoch)";

    /// <summary>@session_id, @epoch.</summary>
    public virtual string DeleteInboxFenced =>
        "DELETE FROM inbox WHERE session_id = @session_id AND EXISTS (SELECT 1 FROM sessions WHERE session_id = @session_id AND epoch = @epoch)";

    /// <summary>@session_id: after the session row is gone.</summary>
    public virtual string DeleteOrphanQueue => "DELETE FROM session_events WHERE session_id = @session_id AND NOT EXISTS (SELECT 1 FROM sessions WHERE session_id = @session_id)";

    /// <summary>@session_id: after the session row is gone.</summary>
    public virtual string DeleteOrphanInbox => "DELETE FROM inbox WHERE session_id = @session_id AND NOT EXISTS (SELECT 1 FROM sessions WHERE session_id = @session_id)";

    /// <summary>@session_id → id, event_id, frame (null if its body is missing) in arrival order.</summary>
    public virtual string SelectInbox =>
        "SELECT i.id, i.event_id, b.frame FROM inbox i LEFT JOIN event_bodies b ON b.event_id = i.event_id WHERE i.session_id = @session_id ORDER BY i.id";

    /// <summary>@session_id, @event_id, @false: nothing for a session that needs a full sync anyway (the body is stored apart).</summary>
    public virtual string InsertInbox =>
        "INSERT INTO inbox (session_id, event_id) SELECT session_id, @event_id FROM sessions " +
        "WHERE session_id = @session_id AND need_full_sync = @false";

    /// <summary>@id.</summary>
    public virtual string DeleteInboxRow => "DELETE FROM inbox WHERE id = @id";

    // ---- sockets and outbox ----

    /// <summary>@socket_id, @node_id.</summary>
    public virtual string UpsertSocket =>
        "INSERT INTO sockets (socket_id, node_id) VALUES (@socket_id, @node_id) ON CONFLICT (socket_id) DO UPDATE SET node_id = excluded.node_id";

    /// <summary>@socket_id, @session_id, @church_id, @person_id, @display_name.</summary>
    public virtual string UpdateSocketSession =>
        "UPDATE sockets SET session_id = @session_id, church_id = @church_id, person_id = @person_id, display_name = @display_name WHERE socket_id = @socket_id";

    /// <summary>@socket_id.</summary>
    public virtual string DeleteSocket => "DELETE FROM sockets WHERE socket_id = @socket_id";

    /// <summary>@socket_id → node_id, session_id, church_id, person_id, display_name.</summary>
    public virtual string SelectSocket => "SELECT node_id, session_id, church_id, person_id, display_name FROM sockets WHERE socket_id = @socket_id";

    /// <summary>@node_id.</summary>
    public virtual string DeleteSocketsOfNode => "DELETE FROM sockets WHERE node_id = @node_id";

    /// <summary>@node_id, @socket_id, @church_id, @conversation_id, @frame.</summary>
    public virtual string InsertOutbox =>
        "INSERT INTO outbox (node_id, socket_id, church_id, conversation_id, frame) VALUES (@node_id, @socket_id, @church_id, @conversation_id, @frame)";

    /// <summary>@node_id → 1 if the node's outbox has anything (a read, so an idle poll takes no write lock).</summary>
    public virtual string AnyOutbox => "SELECT 1 FROM outbox WHERE node_id = @node_id LIMIT 1";

    /// <summary>@node_id, @limit → id, socket_id, church_id, conversation_id, frame (deleted as read).</summary>
    public virtual string TakeOutbox =>
        "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE node_id = @node_id ORDER BY id LIMIT @limit) " +
        "RETURNING id, socket_id, church_id, conversation_id, frame";

    /// <summary>@node_id.</summary>
    public virtual string DeleteOutboxOfNode => "DELETE FROM outbox WHERE node_id = @node_id";

    // ---- nodes ----

    /// <summary>@node_id, @roles, @address, @now.</summary>
    public virtual string UpsertNode =>
        "INSERT INTO nodes (node_id, roles, address, started_at, heartbeat_at) VALUES (@node_id, @roles, @address, @now, @now) " +
        "ON CONFLICT (node_id) DO UPDATE SET roles = excluded.roles, address = excluded.address, heartbeat_at = excluded.heartbeat_at";

    /// <summary>@self, @before.</summary>
    public virtual string SelectDeadNodes => "SELECT node_id FROM nodes WHERE heartbeat_at < @before AND node_id <> @self";

    /// <summary>
    /// The Orleans silos declared dead in Orleans' membership table, one key each (address:port@generation). Null: no such
    /// table (SQLite: the node is a cluster of one silo, whose death takes its sockets with it).
    /// </summary>
    public virtual string? SelectDeadSilos => null;

    /// <summary>All nodes.</summary>
    public virtual string SelectNodes => "SELECT node_id, roles, started_at, heartbeat_at, address FROM nodes ORDER BY node_id";

    /// <summary>@node_id.</summary>
    public virtual string DeleteNode => "DELETE FROM nodes WHERE node_id = @node_id";

    /// <summary>A statement that proves the database answers.</summary>
    public virtual string Ping => "SELECT 1";
}
