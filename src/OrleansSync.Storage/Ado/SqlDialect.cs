using System.Data.Common;

namespace OrleansSync.Storage.Ado;

/// <summary>
/// Everything that differs between databases: how to connect, the schema, and the SQL text of each
/// statement. All statements use named parameters <c>@name</c>, which both SQLite and Npgsql accept.
/// </summary>
public abstract partial class SqlDialect
{
    /// <summary>Opens a new connection, configured for this dialect.</summary>
    public abstract Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <summary>Creates or upgrades the schema; safe to run on every start.</summary>
    public abstract Task MigrateAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>@session_id → user_id, need_full_sync, retention_deadline (unix ms or null).</summary>
    public virtual string SelectSession => "SELECT user_id, need_full_sync, retention_deadline FROM sessions WHERE session_id = @session_id";

    /// <summary>@session_id → seq, event_id, frame in seq order.</summary>
    public virtual string SelectQueue => "SELECT seq, event_id, frame FROM session_events WHERE session_id = @session_id ORDER BY seq";

    /// <summary>@user_id → session_id.</summary>
    public virtual string SelectUserSessions => "SELECT session_id FROM sessions WHERE user_id = @user_id";

    /// <summary>@now, @limit → session_id of detached sessions past their deadline.</summary>
    public virtual string SelectExpired => "SELECT session_id FROM sessions WHERE retention_deadline IS NOT NULL AND retention_deadline <= @now LIMIT @limit";

    /// <summary>@deadline: start the retention clock of sessions that look attached.</summary>
    public virtual string StartRetentionForOrphans => "UPDATE sessions SET retention_deadline = @deadline WHERE retention_deadline IS NULL AND need_full_sync = @false";

    /// <summary>@session_id, @user_id, @need_full_sync, @retention_deadline.</summary>
    public virtual string UpsertSession =>
        "INSERT INTO sessions (session_id, user_id, need_full_sync, retention_deadline) VALUES (@session_id, @user_id, @need_full_sync, @retention_deadline) " +
        "ON CONFLICT (session_id) DO UPDATE SET user_id = excluded.user_id, need_full_sync = excluded.need_full_sync, retention_deadline = excluded.retention_deadline";

    /// <summary>@session_id.</summary>
    public virtual string DeleteSession => "DELETE FROM sessions WHERE session_id = @session_id";

    /// <summary>@session_id, @seq, @event_id, @frame.</summary>
    public virtual string InsertEvent => "INSERT INTO session_events (session_id, seq, event_id, frame) VALUES (@session_id, @seq, @event_id, @frame)";

    /// <summary>@session_id, @seq.</summary>
    public virtual string DeleteEvent => "DELETE FROM session_events WHERE session_id = @session_id AND seq = @seq";

    /// <summary>@session_id.</summary>
    public virtual string DeleteQueue => "DELETE FROM session_events WHERE session_id = @session_id";

    /// <summary>A statement that proves the database answers.</summary>
    public virtual string Ping => "SELECT 1";
}
