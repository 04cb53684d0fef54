using System.Text;

namespace OrleansSync.Storage.Postgres;

/// <summary>
/// The tables, functions and named queries that Orleans' ADO.NET providers (clustering, grain state, reminders) need on
/// PostgreSQL: migration step 5 of <see cref="PostgresSchema"/>. Written by this project against the providers' query
/// contract (the query names they look up in <c>OrleansQuery</c>, the parameters they bind, the columns they read), not
/// copied from Orleans' scripts. Like every applied step, never edit it: a changed query is a new step that updates its row.
/// </summary>
/// <remarks>
/// Rules:
/// <list type="bullet">
/// <item>The providers read <c>SELECT QueryKey, QueryText FROM OrleansQuery</c> unquoted, so the table and its columns are
/// lower case; every other name follows the store's snake_case. Result columns are quoted in the names the providers read.</item>
/// <item>Npgsql sends the providers' <see cref="DateTime"/> parameters as <c>timestamptz</c> (UTC), so times are TIMESTAMPTZ.</item>
/// <item>Every change of a grain state or a reminder draws its ETag from one sequence, never from the row's own counter:
/// a row deleted and written again never gets back an ETag that a stale writer still holds.</item>
/// <item>A write whose ETag is not the stored one answers NULL (grain state) or false (reminder removal, membership), which
/// the providers turn into <c>InconsistentStateException</c> or a refused membership change.</item>
/// <item>Membership rows change only with the cluster's table version (checked and raised under a row lock on it), the
/// concurrency rule of Orleans' membership protocol; the alive time is written without it.</item>
/// </list>
/// </remarks>
internal static class OrleansSchema
{
    private const string Tables =
        """
        CREATE TABLE IF NOT EXISTS OrleansQuery (
            QueryKey TEXT NOT NULL PRIMARY KEY,
            QueryText TEXT NOT NULL
        );
        CREATE SEQUENCE IF NOT EXISTS orleans_etag AS INTEGER MINVALUE 1 MAXVALUE 2147483647 CYCLE;
        CREATE TABLE IF NOT EXISTS orleans_grain_state (
            service_id TEXT NOT NULL,
            state_name TEXT NOT NULL,
            grain_id_hash INTEGER NOT NULL,
            grain_key TEXT NOT NULL,
            etag INTEGER NOT NULL,
            payload BYTEA NULL,
            written_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (service_id, state_name, grain_id_hash, grain_key)
        );
        CREATE TABLE IF NOT EXISTS orleans_reminders (
            service_id TEXT NOT NULL,
            grain_id TEXT NOT NULL,
            reminder_name TEXT NOT NULL,
            grain_hash INTEGER NOT NULL,
            start_time TIMESTAMPTZ NOT NULL,
            period_ms BIGINT NOT NULL,
            etag INTEGER NOT NULL,
            PRIMARY KEY (service_id, grain_id, reminder_name)
        );
        CREATE INDEX IF NOT EXISTS ix_orleans_reminders_hash ON orleans_reminders (service_id, grain_hash);
        CREATE TABLE IF NOT EXISTS orleans_membership_version (
            deployment_id TEXT NOT NULL PRIMARY KEY,
            version INTEGER NOT NULL,
            changed_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE TABLE IF NOT EXISTS orleans_membership (
            deployment_id TEXT NOT NULL REFERENCES orleans_membership_version (deployment_id) ON DELETE CASCADE,
            address TEXT NOT NULL,
            port INTEGER NOT NULL,
            generation INTEGER NOT NULL,
            silo_name TEXT NOT NULL,
            host_name TEXT NOT NULL,
            status INTEGER NOT NULL,
            proxy_port INTEGER NOT NULL,
            suspect_times TEXT NULL,
            start_time TIMESTAMPTZ NOT NULL,
            i_am_alive_time TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (deployment_id, address, port, generation)
        );

        """;

    private const string Functions =
        """
        -- The grain's identity as the provider gives it: two numbers (a GUID or integer key; 0 for a string key) and an
        -- optional text (a string key, or a key extension). '#' keeps "no text" apart from an empty one.
        CREATE OR REPLACE FUNCTION orleans_grain_key(n0 BIGINT, n1 BIGINT, extension TEXT) RETURNS TEXT
        LANGUAGE sql IMMUTABLE AS $$ SELECT n0::text || ',' || n1::text || COALESCE('#' || extension, '') $$;

        -- A new ETag, never the one given (the sequence cycles after 2^31 values).
        CREATE OR REPLACE FUNCTION orleans_next_etag(old_etag INTEGER) RETURNS INTEGER
        LANGUAGE plpgsql AS $$
        DECLARE fresh INTEGER := nextval('orleans_etag');
        BEGIN
            IF fresh = old_etag THEN fresh := nextval('orleans_etag'); END IF;
            RETURN fresh;
        END $$;

        -- Writes a grain state if the stored ETag is the given one (NULL: there is no row). The new ETag, or NULL if refused.
        CREATE OR REPLACE FUNCTION orleans_grain_state_write(p_service_id TEXT, p_state_name TEXT, p_grain_id_hash INTEGER,
            p_grain_key TEXT, p_etag INTEGER, p_payload BYTEA) RETURNS INTEGER
        LANGUAGE plpgsql AS $$
        DECLARE fresh INTEGER := orleans_next_etag(p_etag);
        BEGIN
            IF p_etag IS NULL THEN
                INSERT INTO orleans_grain_state (service_id, state_name, grain_id_hash, grain_key, etag, payload)
                VALUES (p_service_id, p_state_name, p_grain_id_hash, p_grain_key, fresh, p_payload)
                ON CONFLICT DO NOTHING;
            ELSE
                UPDATE orleans_grain_state SET etag = fresh, payload = p_payload, written_at = now()
                WHERE service_id = p_service_id AND state_name = p_state_name AND grain_id_hash = p_grain_id_hash
                  AND grain_key = p_grain_key AND etag = p_etag;
            END IF;
            RETURN CASE WHEN FOUND THEN fresh END;
        END $$;

        -- Clears a grain state if the stored ETag is the given one: deletes the row, or keeps it without a payload. A new
        -- ETag (which the provider drops when the row is deleted), or NULL if refused.
        CREATE OR REPLACE FUNCTION orleans_grain_state_clear(p_service_id TEXT, p_state_name TEXT, p_grain_id_hash INTEGER,
            p_grain_key TEXT, p_etag INTEGER, p_delete_row BOOLEAN) RETURNS INTEGER
        LANGUAGE plpgsql AS $$
        DECLARE fresh INTEGER := orleans_next_etag(p_etag);
        BEGIN
            IF p_delete_row THEN
                DELETE FROM orleans_grain_state
                WHERE service_id = p_service_id AND state_name = p_state_name AND grain_id_hash = p_grain_id_hash
                  AND grain_key = p_grain_key AND etag = p_etag;
            ELSE
                UPDATE orleans_grain_state SET etag = fresh, payload = NULL, written_at = now()
                WHERE service_id = p_service_id AND state_name = p_state_name AND grain_id_hash = p_grain_id_hash
                  AND grain_key = p_grain_key AND etag = p_etag;
            END IF;
            RETURN CASE WHEN FOUND THEN fresh END;
        END $$;

        -- Adds a silo's row if the cluster's table version is the expected one, and raises the version.
        CREATE OR REPLACE FUNCTION orleans_membership_insert(p_deployment_id TEXT, p_address TEXT, p_port INTEGER,
            p_generation INTEGER, p_silo_name TEXT, p_host_name TEXT, p_status INTEGER, p_proxy_port INTEGER,
            p_start_time TIMESTAMPTZ, p_i_am_alive_time TIMESTAMPTZ, p_expected_version INTEGER) RETURNS BOOLEAN
        LANGUAGE plpgsql AS $$
        DECLARE current_version INTEGER;
        BEGIN
            SELECT version INTO current_version FROM orleans_membership_version WHERE deployment_id = p_deployment_id FOR UPDATE;
            IF current_version IS DISTINCT FROM p_expected_version THEN RETURN FALSE; END IF;
            INSERT INTO orleans_membership (deployment_id, address, port, generation, silo_name, host_name, status, proxy_port,
                start_time, i_am_alive_time)
            VALUES (p_deployment_id, p_address, p_port, p_generation, p_silo_name, p_host_name, p_status, p_proxy_port,
                p_start_time, p_i_am_alive_time)
            ON CONFLICT DO NOTHING;
            IF NOT FOUND THEN RETURN FALSE; END IF;
            UPDATE orleans_membership_version SET version = version + 1, changed_at = now() WHERE deployment_id = p_deployment_id;
            RETURN TRUE;
        END $$;

        -- Changes a silo's status, suspicions and alive time if the cluster's table version is the expected one, and raises it.
        CREATE OR REPLACE FUNCTION orleans_membership_update(p_deployment_id TEXT, p_address TEXT, p_port INTEGER,
            p_generation INTEGER, p_status INTEGER, p_suspect_times TEXT, p_i_am_alive_time TIMESTAMPTZ,
            p_expected_version INTEGER) RETURNS BOOLEAN
        LANGUAGE plpgsql AS $$
        DECLARE current_version INTEGER;
        BEGIN
            SELECT version INTO current_version FROM orleans_membership_version WHERE deployment_id = p_deployment_id FOR UPDATE;
            IF current_version IS DISTINCT FROM p_expected_version THEN RETURN FALSE; END IF;
            UPDATE orleans_membership SET status = p_status, suspect_times = p_suspect_times, i_am_alive_time = p_i_am_alive_time
            WHERE deployment_id = p_deployment_id AND address = p_address AND port = p_port AND generation = p_generation;
            IF NOT FOUND THEN RETURN FALSE; END IF;
            UPDATE orleans_membership_version SET version = version + 1, changed_at = now() WHERE deployment_id = p_deployment_id;
            RETURN TRUE;
        END $$;

        """;

    /// <summary>The columns a membership read returns: the table version, then the silo's row (all NULL when there is none).</summary>
    private const string MembershipColumns =
        "v.version AS \"Version\", m.address AS \"Address\", m.port AS \"Port\", m.generation AS \"Generation\", " +
        "m.silo_name AS \"SiloName\", m.host_name AS \"HostName\", m.status AS \"Status\", m.proxy_port AS \"ProxyPort\", " +
        "m.suspect_times AS \"SuspectTimes\", m.start_time AS \"StartTime\", m.i_am_alive_time AS \"IAmAliveTime\"";

    private const string ReminderColumns =
        "SELECT grain_id AS \"GrainId\", reminder_name AS \"ReminderName\", start_time AS \"StartTime\", " +
        "period_ms AS \"Period\", etag AS \"Version\" FROM orleans_reminders WHERE service_id = @ServiceId";

    private const string GrainStateKey =
        "@ServiceId, @GrainTypeString, @GrainIdHash, orleans_grain_key(@GrainIdN0, @GrainIdN1, @GrainIdExtensionString), @GrainStateVersion";

    /// <summary>
    /// The named queries, by the key each provider looks up. Parameters are the providers' (<c>@Name</c>); the state name
    /// arrives as <c>GrainTypeString</c>, and a membership cluster id as <c>DeploymentId</c>.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> Queries = new Dictionary<string, string>
    {
        // Grain state (Orleans.Persistence.AdoNet).
        ["ReadFromStorageKey"] =
            "SELECT payload AS \"PayloadBinary\", etag AS \"Version\" FROM orleans_grain_state " +
            "WHERE service_id = @ServiceId AND state_name = @GrainTypeString AND grain_id_hash = @GrainIdHash " +
            "AND grain_key = orleans_grain_key(@GrainIdN0, @GrainIdN1, @GrainIdExtensionString)",
        ["WriteToStorageKey"] = $"SELECT orleans_grain_state_write({GrainStateKey}, @PayloadBinary) AS \"NewGrainStateVersion\"",
        ["ClearStorageKey"] = $"SELECT orleans_grain_state_clear({GrainStateKey}, FALSE)",
        ["DeleteStorageKey"] = $"SELECT orleans_grain_state_clear({GrainStateKey}, TRUE)",

        // Reminders (Orleans.Reminders.AdoNet). Hashes arrive as signed integers; the provider picks the first range query
        // when the range does not wrap in that order, the second when it does.
        ["ReadReminderRowsKey"] = ReminderColumns + " AND grain_id = @GrainId",
        ["ReadReminderRowKey"] = ReminderColumns + " AND grain_id = @GrainId AND reminder_name = @ReminderName",
        ["ReadRangeRows1Key"] = ReminderColumns + " AND grain_hash > @BeginHash AND grain_hash <= @EndHash",
        ["ReadRangeRows2Key"] = ReminderColumns + " AND (grain_hash > @BeginHash OR grain_hash <= @EndHash)",
        ["UpsertReminderRowKey"] =
            "INSERT INTO orleans_reminders (service_id, grain_id, reminder_name, grain_hash, start_time, period_ms, etag) " +
            "VALUES (@ServiceId, @GrainId, @ReminderName, @GrainHash, @StartTime, @Period, orleans_next_etag(NULL)) " +
            "ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE SET grain_hash = excluded.grain_hash, " +
            "start_time = excluded.start_time, period_ms = excluded.period_ms, etag = excluded.etag RETURNING etag AS \"Version\"",
        ["DeleteReminderRowKey"] =
            "WITH removed AS (DELETE FROM orleans_reminders WHERE service_id = @ServiceId AND grain_id = @GrainId " +
            "AND reminder_name = @ReminderName AND etag = @Version RETURNING 1) SELECT EXISTS (SELECT 1 FROM removed)",
        ["DeleteReminderRowsKey"] = "DELETE FROM orleans_reminders WHERE service_id = @ServiceId",

        // Membership (Orleans.Clustering.AdoNet). Reads always return the version row, joined to the silos' rows if any.
        ["InsertMembershipVersionKey"] =
            "WITH created AS (INSERT INTO orleans_membership_version (deployment_id, version) VALUES (@DeploymentId, 0) " +
            "ON CONFLICT DO NOTHING RETURNING 1) SELECT EXISTS (SELECT 1 FROM created)",
        ["MembershipReadAllKey"] =
            $"SELECT {MembershipColumns} FROM orleans_membership_version v " +
            "LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id WHERE v.deployment_id = @DeploymentId",
        ["MembershipReadRowKey"] =
            $"SELECT {MembershipColumns} FROM orleans_membership_version v " +
            "LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id " +
            "AND m.address = @Address AND m.port = @Port AND m.generation = @Generation " +
            "WHERE v.deployment_id = @DeploymentId",
        ["InsertMembershipKey"] =
            "SELECT orleans_membership_insert(@DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, " +
            "@ProxyPort, @StartTime, @IAmAliveTime, @Version)",
        ["UpdateMembershipKey"] =
            "SELECT orleans_membership_update(@DeploymentId, @Address, @Port, @Generation, @Status, @SuspectTimes, " +
            "@IAmAliveTime, @Version)",
        ["UpdateIAmAlivetimeKey"] =
            "UPDATE orleans_membership SET i_am_alive_time = @IAmAliveTime WHERE deployment_id = @DeploymentId " +
            "AND address = @Address AND port = @Port AND generation = @Generation",
        ["DeleteMembershipTableEntriesKey"] = "DELETE FROM orleans_membership_version WHERE deployment_id = @DeploymentId",
        // Rows of silos declared dead (status 6) whose last sign of life is older than the given time.
        ["CleanupDefunctSiloEntriesKey"] =
            "DELETE FROM orleans_membership WHERE deployment_id = @DeploymentId AND status = 6 AND i_am_alive_time < @IAmAliveTime",
        // The gateways Orleans clients may connect to: active silos with a client port.
        ["GatewaysQueryKey"] =
            "SELECT address AS \"Address\", proxy_port AS \"ProxyPort\", generation AS \"Generation\" FROM orleans_membership " +
            "WHERE deployment_id = @DeploymentId AND status = @Status AND proxy_port > 0",
    };

    /// <summary>
    /// Migration step 5: creates what is missing and (re)writes the functions and the named queries. Declared after
    /// <see cref="Queries"/>, which it reads while the class is initialised.
    /// </summary>
    public static readonly string Version5 = Tables + Functions + QueryRows(Queries);

    /// <summary>Upserts of <paramref name="queries"/> into OrleansQuery (dollar-quoted: the texts hold quotes).</summary>
    private static string QueryRows(IReadOnlyDictionary<string, string> queries)
    {
        var sql = new StringBuilder();
        foreach (var (key, text) in queries)
        {
            if (text.Contains("$q$", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Query {key} must not contain the quote $q$.");
            }
            sql.Append("INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('").Append(key).Append("', $q$").Append(text)
                .Append("$q$) ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;\n");
        }
        return sql.ToString();
    }
}
