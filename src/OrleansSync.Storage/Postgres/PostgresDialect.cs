using System.Data.Common;
using Microsoft.Extensions.Logging;
using Npgsql;
using OrleansSync.Storage.Ado;

namespace OrleansSync.Storage.Postgres;

/// <summary>
/// PostgreSQL, the cluster store: one pooled <see cref="NpgsqlDataSource"/> per node. The shared statements
/// of <see cref="SqlDialect"/> run unchanged (named <c>@parameters</c>, <c>ON CONFLICT … excluded</c>,
/// <c>LIMIT @limit</c>, flags bound as .NET <see cref="bool"/>); only connection setup and schema live here.
/// </summary>
public sealed class PostgresDialect : SqlDialect, IAsyncDisposable, IDisposable
{
    /// <summary>
    /// Key of the transaction-scoped advisory lock that serialises migrations, so nodes starting at once
    /// never race on <c>CREATE … IF NOT EXISTS</c> (which is not atomic against a concurrent create).
    /// The value is "OSYNC" in ASCII; any constant works as long as every version uses the same one.
    /// </summary>
    public const long MigrationLockKey = 0x4F_53_59_4E_43;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _dedicatedConnectionString;

    /// <summary>Builds the connection pool for <paramref name="connectionString"/> (Npgsql syntax).</summary>
    public PostgresDialect(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // The hot statements are few and fixed: let Npgsql prepare them once per connection unless the connection
        // string says otherwise (measured: +59 % deliveries/s on one node). A node migrates before it prepares anything,
        // and every statement names its columns, so a prepared statement's result type never changes under it.
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = DefaultMaxAutoPrepare;
        }
        // A pooled connection is otherwise reset on every return (four statements: SET SESSION AUTHORIZATION, RESET ALL,
        // advisory unlock, DISCARD SEQUENCES), and every read borrows one: measured 12,500 resets in a 17 s window. No
        // statement here leaves session state behind (the exclusive-work lock is released explicitly), so skip them.
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!Sets(given, "NoResetOnClose"))
        {
            builder.ConnectionStringBuilder.NoResetOnClose = true;
        }
        // The statements are all short and keyed; PostgreSQL's JIT compiles a plan whose estimate is high, and the
        // estimates of the queue tables run high between vacuums (dead rows): measured 7.6 ms of JIT for a 1 ms read.
        if (!(builder.ConnectionStringBuilder.Options ?? "").Contains("jit", StringComparison.OrdinalIgnoreCase))
        {
            builder.ConnectionStringBuilder.Options = ((builder.ConnectionStringBuilder.Options ?? "") + " -c jit=off").Trim();
        }
        // Kept whole here: the data source's own string drops the password.
        _dedicatedConnectionString = new NpgsqlConnectionStringBuilder(builder.ConnectionString) { Pooling = false }.ConnectionString;
        _dataSource = builder.Build();
    }

    /// <summary>Whether the connection string names <paramref name="keyword"/> (written with or without its spaces).</summary>
    private static bool Sets(System.Data.Common.DbConnectionStringBuilder given, string keyword) =>
        given.Keys.Cast<string>().Any(key => key.Replace(" ", "", StringComparison.Ordinal).Equals(keyword, StringComparison.OrdinalIgnoreCase));

    /// <summary>Statements Npgsql prepares automatically per connection when the connection string sets none.</summary>
    public const int DefaultMaxAutoPrepare = 64;

    /// <summary>The schema version this build migrates to.</summary>
    public static int SchemaVersion => PostgresSchema.Migrations.Length;

    /// <inheritdoc />
    public override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    /// <remarks>
    /// One transaction: take the advisory lock, read the recorded version, apply the missing steps and record
    /// them. A second node waits on the lock and then finds nothing left to do. A database already at a newer
    /// version (a newer node migrated it) is left as it is; up to version 4 migrations only added, so such a node still
    /// ran, but version 5 moved the frames out of the queue and inbox tables, which nodes of earlier versions write.
    /// </remarks>
    public override async Task MigrateAsync(DbConnection connection, ILogger logger, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({MigrationLockKey})", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, PostgresSchema.CreateVersionTable, cancellationToken).ConfigureAwait(false);
        int current;
        await using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
            current = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }
        for (var version = current + 1; version <= PostgresSchema.Migrations.Length; version++)
        {
            await ExecuteAsync(connection, transaction, PostgresSchema.Migrations[version - 1], cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, transaction, $"INSERT INTO schema_version (version) VALUES ({version})", cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override string LockRows => " FOR UPDATE";

    /// <inheritdoc />
    /// <remarks>
    /// LATERAL … OFFSET 0 (which keeps the planner from flattening it back into a join) makes the inbox read one index
    /// range per session of the user (its first row only for sessions this node does not own). With a plain join PostgreSQL
    /// hashed the whole inbox on every publish (its dead rows too, until a vacuum): 0.86 ms a publish and half of the
    /// database's CPU in the 3-node benchmark. SQLite always runs the join as index lookups, so it keeps the shared text.
    /// No ORDER BY (the store groups the rows): windows with it measured 63–77 µs of execution a call, without it 43 and 67.
    /// </remarks>
    public override string SelectUserSessions =>
        "SELECT s.session_id, s.owner_node, i.id, i.event_id, i.frame FROM sessions s " +
        "LEFT JOIN LATERAL (SELECT inbox.id, inbox.event_id, b.frame FROM inbox JOIN event_bodies b ON b.event_id = inbox.event_id " +
        "WHERE inbox.session_id = s.session_id ORDER BY inbox.id " +
        "LIMIT CASE WHEN s.owner_node = @node_id THEN NULL ELSE 1 END OFFSET 0) i ON TRUE " +
        "WHERE s.user_id = @user_id";

    /// <inheritdoc />
    /// <remarks>
    /// A transaction-scoped advisory lock per user (the two-key form, whose key space is apart from the one-key locks of
    /// migrations and exclusive work): under read committed, two creations that each counted before the other committed
    /// would both keep one session too many.
    /// </remarks>
    public override string? LockUserSessions => $"SELECT pg_advisory_xact_lock({UserSessionsLockClass}, hashtext(@user_id))";

    /// <summary>The first key of <see cref="LockUserSessions"/> ("OSUS" in ASCII).</summary>
    private const int UserSessionsLockClass = 0x4F_53_55_53;

    /// <inheritdoc />
    /// <remarks>
    /// Under read committed a batch can store a row for an event whose body this sweep saw unreferenced: the batch found the
    /// body stored and kept it (its upsert bumps touch), while the sweep's snapshot does not show the batch's rows. So the
    /// sweep only takes bodies whose touch is still what it read: FOR UPDATE re-reads a body changed since (a committed
    /// upsert) and drops it when touch differs, and SKIP LOCKED passes over bodies an upsert still holds; the rows it
    /// locked, it deletes without waiting. A batch that wants a body the sweep holds waits, and stores it again once the
    /// sweep's delete commits. The sweep never waits on a batch, so the two cannot deadlock.
    /// </remarks>
    public override string DeleteUnreferencedBodies =>
        $"WITH candidate AS ({UnreferencedInWindow}), " +
        "taken AS (SELECT b.event_id FROM event_bodies b JOIN candidate c ON c.event_id = b.event_id AND c.touch = b.touch FOR UPDATE OF b SKIP LOCKED) " +
        "DELETE FROM event_bodies WHERE event_id IN (SELECT event_id FROM taken)";

    /// <inheritdoc />
    /// <remarks>Each statement would otherwise cost a round trip to the server while the batch's transaction is open.</remarks>
    public override bool PipelinesStatements => true;

    /// <inheritdoc />
    /// <remarks>
    /// A transaction here costs round trips and a WAL flush whatever its size: three nodes on one server committed
    /// ~670 small batches a second (33 writes each); waiting up to 10 ms cut that to ~180 and the rows written per
    /// delivery from 1.25 to 0.60, as more acks cancel their inserts (bench/README.md).
    /// </remarks>
    public override TimeSpan DefaultCommitDelay => TimeSpan.FromMilliseconds(10);

    /// <inheritdoc />
    /// <remarks>
    /// Each row's session is checked by key, one index lookup per array element (correlated subqueries): written as
    /// joins, PostgreSQL may hash the whole sessions table per batch. The fencing of each insert is the one of
    /// <see cref="SqlDialect.InsertEventFenced"/>; the inbox keeps array order (its ids are drawn in the ORDER BY's order).
    /// Bodies are stored in array order, which the writer sorts by event id: two batches that find the same bodies stored
    /// lock them in the same order, so they cannot deadlock.
    /// </remarks>
    public override QueueWriteArraySql? QueueWriteArrays { get; } = new(
        InsertEvents:
            "INSERT INTO session_events (session_id, seq, event_id, first_sent_at) SELECT u.session_id, u.seq, u.event_id, u.first_sent_at " +
            "FROM unnest(@session_ids::text[], @epochs::bigint[], @seqs::bigint[], @event_ids::text[], @first_sent_ats::bigint[]) " +
            "AS u(session_id, epoch, seq, event_id, first_sent_at) " +
            "WHERE (SELECT s.epoch FROM sessions s WHERE s.session_id = u.session_id) = u.epoch",
        InsertInbox:
            "INSERT INTO inbox (session_id, event_id) SELECT u.session_id, u.event_id " +
            "FROM unnest(@session_ids::text[], @event_ids::text[]) WITH ORDINALITY AS u(session_id, event_id, ord) " +
            "WHERE (SELECT NOT s.need_full_sync FROM sessions s WHERE s.session_id = u.session_id) ORDER BY u.ord",
        UpsertBodies:
            "INSERT INTO event_bodies (event_id, frame) SELECT u.event_id, u.frame " +
            "FROM unnest(@body_event_ids::text[], @body_frames::bytea[]) WITH ORDINALITY AS u(event_id, frame, ord) ORDER BY u.ord " +
            "ON CONFLICT (event_id) DO UPDATE SET touch = event_bodies.touch + 1");

    /// <inheritdoc />
    /// <remarks>The database holds one Orleans cluster (every node on it joins it), so no deployment filter.</remarks>
    public override string? SelectDeadSilos =>
        $"SELECT address || ':' || port || '@' || generation FROM orleans_membership WHERE status = {(int)Orleans.Runtime.SiloStatus.Dead}";

    /// <inheritdoc />
    /// <remarks>NOTIFY is transactional: delivered on commit, dropped on rollback, and repeats in one transaction fold.</remarks>
    public override string? WakeInboxOwner => $"SELECT pg_notify('{PostgresSignals.Channel}', @payload)";

    /// <inheritdoc />
    public override string InboxWakePayload(string nodeId) => PostgresSignals.InboxPayload(nodeId);

    /// <inheritdoc />
    /// <remarks>
    /// SQLSTATE classes of a server that cannot take writes now: 25006 (a read-only transaction, e.g.
    /// <c>default_transaction_read_only</c> or a standby), 53 (insufficient resources: disk full, out of memory, too many
    /// connections), 08 (connection failure), 57P01–57P03 (shutting down, starting up), 58 (I/O errors); and any Npgsql
    /// error without a server answer (refused, broken or timed-out connection, exhausted pool).
    /// </remarks>
    public override string? DescribeFault(Exception exception) => exception switch
    {
        PostgresException { SqlState: PostgresErrorCodes.ReadOnlySqlTransaction } server => "read-only: " + server.MessageText,
        PostgresException { SqlState: PostgresErrorCodes.DiskFull } server => "full: " + server.MessageText,
        PostgresException { SqlState: [ '5', '3', ..] } server => "out of resources: " + server.MessageText,
        PostgresException { SqlState: [ '0', '8', ..] or [ '5', '8', ..] or "57P01" or "57P02" or "57P03" } server => "unavailable: " + server.MessageText,
        PostgresException => null,
        NpgsqlException client => "unreachable: " + client.Message,
        _ => null,
    };

    /// <inheritdoc />
    public override void ResetConnections() => _dataSource.Clear();

    /// <summary>The pool.</summary>
    public NpgsqlDataSource DataSource => _dataSource;

    /// <summary>
    /// A connection outside the pool, closed for good when disposed: the wake-up listener's, whose LISTEN must not
    /// reach a pooled connection (pooled connections are not reset on return, see the constructor).
    /// </summary>
    public async Task<NpgsqlConnection> OpenDedicatedConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(_dedicatedConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A session-level advisory lock held on a connection of its own while <paramref name="work"/> runs: whichever
    /// node takes it does the work; the others skip this round. If the holder dies, PostgreSQL frees the lock.
    /// </summary>
    public override async Task<bool> TryRunExclusiveAsync(string name, Func<CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        var key = LockKey(name);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var take = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection))
        {
            take.Parameters.AddWithValue("key", key);
            if (!(bool)(await take.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return false;
            }
        }
        try
        {
            await work(cancellationToken).ConfigureAwait(false);
            return true;
        }
        finally
        {
            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", connection);
            release.Parameters.AddWithValue("key", key);
            await release.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>A stable 64-bit key for a lock name (FNV-1a), distinct from <see cref="MigrationLockKey"/>.</summary>
    private static long LockKey(string name)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in "orleanssync:" + name)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }
        return unchecked((long)hash);
    }

    /// <summary>Closes the pooled connections.</summary>
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>Closes the pooled connections.</summary>
    public void Dispose() => _dataSource.Dispose();

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
