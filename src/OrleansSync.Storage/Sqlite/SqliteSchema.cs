using System.Data.Common;
using System.Globalization;

namespace OrleansSync.Storage.Sqlite;

/// <summary>
/// The SQLite schema as an ordered list of steps; the file's <c>PRAGMA user_version</c> records how many it has (0: a
/// new file, or one of a build before versions were recorded). Append new steps, never edit applied ones. Each step is
/// idempotent, as a file of an unversioned build may hold part of one. Same tables as <c>PostgresSchema</c>, with
/// SQLite types: times are unix milliseconds in INTEGER, flags 0/1, frames BLOB.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>Step <c>i</c> brings the file to version <c>i + 1</c>; each runs inside the migration's transaction.</summary>
    public static readonly Func<DbCommand, CancellationToken, Task>[] Migrations = [Version1Async, Version2Async];

    /// <summary>
    /// Version 1: the schema as it stood before versions were recorded (sessions, queues, inboxes, the cluster's tables,
    /// rooms, Orleans' grain state and reminders), with the columns added to it over time.
    /// </summary>
    private static async Task Version1Async(DbCommand command, CancellationToken cancellationToken)
    {
        await ExecuteAsync(command, """

        CREATE TABLE IF NOT EXISTS sessions (
            session_id TEXT NOT NULL PRIMARY KEY,
            user_id TEXT NOT NULL,
            need_full_sync INTEGER NOT NULL,
            retention_deadline INTEGER NULL,
            owner_node TEXT NULL,
            epoch INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS ix_sessions_user ON sessions (user_id);
        CREATE INDEX IF NOT EXISTS ix_sessions_deadline ON sessions (retention_deadline) WHERE retention_deadline IS NOT NULL;
        CREATE INDEX IF NOT EXISTS ix_sessions_owner ON sessions (owner_node) WHERE owner_node IS NOT NULL;
        CREATE TABLE IF NOT EXISTS session_events (
            session_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            event_id TEXT NOT NULL,
            frame BLOB NOT NULL,
            first_sent_at INTEGER NULL,
            PRIMARY KEY (session_id, seq)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_session_events_event ON session_events (session_id, event_id);
        CREATE TABLE IF NOT EXISTS inbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id TEXT NOT NULL,
            event_id TEXT NOT NULL,
            frame BLOB NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_inbox_session ON inbox (session_id, id);
        CREATE TABLE IF NOT EXISTS sockets (
            socket_id TEXT NOT NULL PRIMARY KEY,
            node_id TEXT NOT NULL,
            session_id TEXT NULL,
            church_id TEXT NULL,
            person_id TEXT NULL,
            display_name TEXT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_sockets_node ON sockets (node_id);
        CREATE TABLE IF NOT EXISTS outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            node_id TEXT NOT NULL,
            socket_id TEXT NOT NULL,
            church_id TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            frame BLOB NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_outbox_node ON outbox (node_id, id);
        CREATE TABLE IF NOT EXISTS nodes (
            node_id TEXT NOT NULL PRIMARY KEY,
            roles TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            heartbeat_at INTEGER NOT NULL,
            address TEXT NULL
        );
        CREATE TABLE IF NOT EXISTS conversations (
            id TEXT NOT NULL PRIMARY KEY,
            church_id TEXT NOT NULL,
            content_type TEXT NOT NULL,
            content_id TEXT NOT NULL,
            title TEXT NOT NULL,
            allow_anonymous_posts INTEGER NOT NULL,
            date_created INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS messages (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            church_id TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            person_id TEXT NULL,
            display_name TEXT NOT NULL,
            time_sent INTEGER NOT NULL,
            message_type TEXT NOT NULL,
            content TEXT NOT NULL,
            time_updated INTEGER NULL
        );
        CREATE INDEX IF NOT EXISTS ix_messages_room ON messages (church_id, conversation_id, seq);
        CREATE TABLE IF NOT EXISTS reactions (
            message_id TEXT NOT NULL,
            person_id TEXT NOT NULL,
            emoji TEXT NOT NULL,
            PRIMARY KEY (message_id, person_id, emoji)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS connections (
            id TEXT NOT NULL PRIMARY KEY,
            church_id TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            person_id TEXT NULL,
            display_name TEXT NOT NULL,
            socket_id TEXT NOT NULL,
            time_joined INTEGER NOT NULL,
            node_id TEXT NOT NULL,
            session_id TEXT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_connections_room ON connections (church_id, conversation_id);
        CREATE INDEX IF NOT EXISTS ix_connections_socket ON connections (socket_id);
        CREATE INDEX IF NOT EXISTS ix_connections_node ON connections (node_id);
        CREATE TABLE IF NOT EXISTS private_messages (
            id TEXT NOT NULL PRIMARY KEY,
            church_id TEXT NOT NULL,
            from_person_id TEXT NOT NULL,
            from_display_name TEXT NOT NULL,
            to_person_id TEXT NOT NULL,
            content TEXT NOT NULL,
            time_sent INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS notification_counts (
            church_id TEXT NOT NULL,
            person_id TEXT NOT NULL,
            notification_count INTEGER NOT NULL,
            pm_count INTEGER NOT NULL,
            PRIMARY KEY (church_id, person_id)
        ) WITHOUT ROWID;
        -- Orleans' own grain state and reminders, in the node's file (SqliteGrainStorage.cs, SqliteReminderTable.cs).
        CREATE TABLE IF NOT EXISTS orleans_grain_state (
            provider TEXT NOT NULL,
            grain_id TEXT NOT NULL,
            state_name TEXT NOT NULL,
            etag TEXT NOT NULL,
            payload BLOB NOT NULL,
            PRIMARY KEY (provider, grain_id, state_name)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS orleans_reminders (
            grain_id TEXT NOT NULL,
            reminder_name TEXT NOT NULL,
            grain_hash INTEGER NOT NULL,
            start_at INTEGER NOT NULL,
            period INTEGER NOT NULL,
            etag TEXT NOT NULL,
            PRIMARY KEY (grain_id, reminder_name)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_orleans_reminders_hash ON orleans_reminders (grain_hash);
        """, cancellationToken).ConfigureAwait(false);
        // Files made before these columns existed (CREATE TABLE IF NOT EXISTS leaves an existing table as it was).
        await AddColumnIfMissingAsync(command, "nodes", "address", "TEXT NULL", cancellationToken).ConfigureAwait(false);
        await AddColumnIfMissingAsync(command, "session_events", "first_sent_at", "INTEGER NULL", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Version 2: an event's bytes are stored once (<c>event_bodies</c>), however many queue and inbox rows wait for it;
    /// the rows move there from the queue and inbox, whose frame columns go. Sessions record when they were created and
    /// when they detached (existing detached sessions count from the migration), for the session lifetime and the
    /// per-user bound.
    /// </summary>
    private static async Task Version2Async(DbCommand command, CancellationToken cancellationToken)
    {
        // A rowid table, not WITHOUT ROWID: bodies can be tens of kilobytes, which SQLite keeps better out of a key's b-tree.
        // touch changes whenever a write finds the body already stored (see SqlDialect.UpsertEventBody).
        await ExecuteAsync(command, """
            CREATE TABLE IF NOT EXISTS event_bodies (
                event_id TEXT NOT NULL PRIMARY KEY,
                frame BLOB NOT NULL,
                touch INTEGER NOT NULL DEFAULT 0
            );
            """, cancellationToken).ConfigureAwait(false);
        foreach (var table in (string[])["session_events", "inbox"])
        {
            if (await HasColumnAsync(command, table, "frame", cancellationToken).ConfigureAwait(false))
            {
                // WHERE true: SQLite's parser needs it between a SELECT and ON CONFLICT.
                await ExecuteAsync(command,
                    $"INSERT INTO event_bodies (event_id, frame) SELECT event_id, frame FROM {table} WHERE true ON CONFLICT (event_id) DO NOTHING; " +
                    $"ALTER TABLE {table} DROP COLUMN frame;", cancellationToken).ConfigureAwait(false);
            }
        }
        await AddColumnIfMissingAsync(command, "sessions", "created_at", "INTEGER NOT NULL DEFAULT 0", cancellationToken).ConfigureAwait(false);
        await AddColumnIfMissingAsync(command, "sessions", "detached_at", "INTEGER NULL", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(command, """
            -- The queue's event index leads with the event (the body sweep looks rows up by event alone; an ack by both).
            DROP INDEX IF EXISTS ix_session_events_event;
            CREATE INDEX IF NOT EXISTS ix_session_events_event_id ON session_events (event_id, session_id);
            CREATE INDEX IF NOT EXISTS ix_inbox_event ON inbox (event_id);
            UPDATE sessions SET detached_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000 WHERE owner_node IS NULL AND detached_at IS NULL;
            CREATE INDEX IF NOT EXISTS ix_sessions_detached ON sessions (detached_at) WHERE detached_at IS NOT NULL;
            """, cancellationToken).ConfigureAwait(false);
    }

    private static async Task ExecuteAsync(DbCommand command, string sql, CancellationToken cancellationToken)
    {
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<bool> HasColumnAsync(DbCommand command, string table, string column, CancellationToken cancellationToken)
    {
        command.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) > 0;
    }

    private static async Task AddColumnIfMissingAsync(DbCommand command, string table, string column, string definition, CancellationToken cancellationToken)
    {
        if (!await HasColumnAsync(command, table, column, cancellationToken).ConfigureAwait(false))
        {
            await ExecuteAsync(command, $"ALTER TABLE {table} ADD COLUMN {column} {definition}", cancellationToken).ConfigureAwait(false);
        }
    }
}
