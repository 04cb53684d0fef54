namespace OrleansSync.Storage.Postgres;

/// <summary>
/// The PostgreSQL schema as an ordered list of migrations; <c>schema_version</c> records which ones a
/// database has. Append new steps, never edit applied ones; each is idempotent. Same tables and indexes as the SQLite schema,
/// with PostgreSQL types: times are unix milliseconds in BIGINT, flags are BOOLEAN, frames are BYTEA.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>The table that records applied migrations (one row per version).</summary>
    public const string CreateVersionTable =
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())";

    /// <summary>Migration <c>i</c> brings the schema to version <c>i + 1</c>.</summary>
    public static readonly string[] Migrations =
    [
        // Version 1: sessions, their queues, and rooms. IF NOT EXISTS keeps each step idempotent.
        """
        CREATE TABLE IF NOT EXISTS sessions (
            session_id TEXT NOT NULL PRIMARY KEY,
            user_id TEXT NOT NULL,
            need_full_sync BOOLEAN NOT NULL,
            retention_deadline BIGINT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_sessions_user ON sessions (user_id);
        CREATE INDEX IF NOT EXISTS ix_sessions_deadline ON sessions (retention_deadline) WHERE retention_deadline IS NOT NULL;
        CREATE TABLE IF NOT EXISTS session_events (
            session_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            event_id TEXT NOT NULL,
            frame BYTEA NOT NULL,
            PRIMARY KEY (session_id, seq)
        );
        CREATE TABLE IF NOT EXISTS conversations (
            id TEXT NOT NULL PRIMARY KEY,
            church_id TEXT NOT NULL,
            content_type TEXT NOT NULL,
            content_id TEXT NOT NULL,
            title TEXT NOT NULL,
            allow_anonymous_posts BOOLEAN NOT NULL,
            date_created BIGINT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS messages (
            seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            church_id TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            person_id TEXT NULL,
            display_name TEXT NOT NULL,
            time_sent BIGINT NOT NULL,
            message_type TEXT NOT NULL,
            content TEXT NOT NULL,
            time_updated BIGINT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_messages_room ON messages (church_id, conversation_id, seq);
        CREATE TABLE IF NOT EXISTS reactions (
            message_id TEXT NOT NULL,
            person_id TEXT NOT NULL,
            emoji TEXT NOT NULL,
            PRIMARY KEY (message_id, person_id, emoji)
        );
        CREATE TABLE IF NOT EXISTS connections (
            id TEXT NOT NULL PRIMARY KEY,
            church_id TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            person_id TEXT NULL,
            display_name TEXT NOT NULL,
            socket_id TEXT NOT NULL,
            time_joined BIGINT NOT NULL,
            node_id TEXT NOT NULL
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
            time_sent BIGINT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS notification_counts (
            church_id TEXT NOT NULL,
            person_id TEXT NOT NULL,
            notification_count BIGINT NOT NULL,
            pm_count BIGINT NOT NULL,
            PRIMARY KEY (church_id, person_id)
        );
        """,
        // Version 2: the cluster. Sessions are owned (and fenced by an epoch) by the node holding their socket;
        // inboxes take events for sessions owned elsewhere or detached; sockets, outbox and nodes let nodes
        // find each other's sockets, pass best-effort payloads, and notice a dead node.
        """
        ALTER TABLE sessions ADD COLUMN IF NOT EXISTS owner_node TEXT NULL;
        ALTER TABLE sessions ADD COLUMN IF NOT EXISTS epoch BIGINT NOT NULL DEFAULT 0;
        CREATE INDEX IF NOT EXISTS ix_sessions_owner ON sessions (owner_node) WHERE owner_node IS NOT NULL;
        CREATE INDEX IF NOT EXISTS ix_session_events_event ON session_events (session_id, event_id);
        CREATE TABLE IF NOT EXISTS inbox (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            session_id TEXT NOT NULL,
            event_id TEXT NOT NULL,
            frame BYTEA NOT NULL
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
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            node_id TEXT NOT NULL,
            socket_id TEXT NOT NULL,
            church_id TEXT NOT NULL,
            conversation_id TEXT NOT NULL,
            frame BYTEA NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_outbox_node ON outbox (node_id, id);
        CREATE TABLE IF NOT EXISTS nodes (
            node_id TEXT NOT NULL PRIMARY KEY,
            roles TEXT NOT NULL,
            started_at BIGINT NOT NULL,
            heartbeat_at BIGINT NOT NULL
        );
        ALTER TABLE connections ADD COLUMN IF NOT EXISTS session_id TEXT NULL;
        """,
        // Version 3: where a node's peers reach it to hand it copies for its sessions directly.
        """
        ALTER TABLE nodes ADD COLUMN IF NOT EXISTS address TEXT NULL;
        """,
        // Version 4: when each queued event was first sent, so its attempt budget survives a restart. Rows of older
        // versions keep NULL (their budget starts at their first send after the resume).
        """
        ALTER TABLE session_events ADD COLUMN IF NOT EXISTS first_sent_at BIGINT NULL;
        """,
        // Version 5: what Orleans' ADO.NET providers need (membership, grain state, reminders and their named queries),
        // written by this project: see OrleansSchema.
        OrleansSchema.Version5,
        // Version 6: an event's bytes are stored once (event_bodies), however many queue and inbox rows wait for it; the
        // rows move there and the frame columns go (nodes of earlier versions cannot write to a database at this version:
        // stop them before the first node of this version starts). Sessions record when they were created and when they
        // detached (existing detached sessions count from the migration), for the session lifetime and the per-user bound.
        // touch changes whenever a write finds the body already stored (see PostgresDialect.DeleteUnreferencedBodies).
        """
        CREATE TABLE IF NOT EXISTS event_bodies (
            event_id TEXT NOT NULL PRIMARY KEY,
            frame BYTEA NOT NULL,
            touch BIGINT NOT NULL DEFAULT 0
        );
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM information_schema.columns
                       WHERE table_schema = current_schema() AND table_name = 'session_events' AND column_name = 'frame') THEN
                INSERT INTO event_bodies (event_id, frame) SELECT event_id, frame FROM session_events ON CONFLICT (event_id) DO NOTHING;
                ALTER TABLE session_events DROP COLUMN frame;
            END IF;
            IF EXISTS (SELECT 1 FROM information_schema.columns
                       WHERE table_schema = current_schema() AND table_name = 'inbox' AND column_name = 'frame') THEN
                INSERT INTO event_bodies (event_id, frame) SELECT event_id, frame FROM inbox ON CONFLICT (event_id) DO NOTHING;
                ALTER TABLE inbox DROP COLUMN frame;
            END IF;
        END $$;
        DROP INDEX IF EXISTS ix_session_events_event;
        CREATE INDEX IF NOT EXISTS ix_session_events_event_id ON session_events (event_id, session_id);
        CREATE INDEX IF NOT EXISTS ix_inbox_event ON inbox (event_id);
        ALTER TABLE sessions ADD COLUMN IF NOT EXISTS created_at BIGINT NOT NULL DEFAULT 0;
        ALTER TABLE sessions ADD COLUMN IF NOT EXISTS detached_at BIGINT NULL;
        UPDATE sessions SET detached_at = (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT WHERE owner_node IS NULL AND detached_at IS NULL;
        CREATE INDEX IF NOT EXISTS ix_sessions_detached ON sessions (detached_at) WHERE detached_at IS NOT NULL;
        """,
    ];
}
