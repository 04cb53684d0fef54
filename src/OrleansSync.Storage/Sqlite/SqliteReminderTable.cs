using System.Data.Common;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Runtime;
using OrleansSync.Storage.Ado;

namespace OrleansSync.Storage.Sqlite;

/// <summary>
/// Orleans reminders (<see cref="IReminderTable"/>) in the store's own SQLite file, table <c>orleans_reminders</c>
/// (created by <see cref="SqliteDialect.MigrateAsync"/>).
/// </summary>
/// <remarks>
/// Rules:
/// <list type="bullet">
/// <item>One row per grain id and reminder name. The grain's <see cref="GrainId.GetUniformHashCode"/> is a column
/// (indexed), because each silo reads the reminders of its own range of that hash ring.</item>
/// <item>A range (begin, end] with begin &lt; end is the hashes above begin up to end; with begin &gt;= end it wraps
/// around the ring: above begin, or up to end (begin == end is the whole ring).</item>
/// <item>An upsert replaces the row whatever its ETag (the reminder service owns the row) and stores a fresh random
/// ETag; a remove deletes only the row with the given ETag.</item>
/// <item>Times are UTC ticks, the period is ticks.</item>
/// </list>
/// Ours rather than Orleans' ADO.NET table: that one can load Microsoft.Data.Sqlite (invariant
/// <c>System.Data.SQLite</c>), but opens connections without the store's setup (<c>busy_timeout</c>, <c>synchronous</c>)
/// and needs its whole query contract rewritten in SQLite (docs/ARCHITECTURE.md, Store).
/// </remarks>
public sealed class SqliteReminderTable : IReminderTable
{
    private const string Columns = "grain_id, reminder_name, start_at, period, etag";
    private const string SelectOfGrain = "SELECT " + Columns + " FROM orleans_reminders WHERE grain_id = @grain_id";
    private const string SelectOne = "SELECT " + Columns + " FROM orleans_reminders WHERE grain_id = @grain_id AND reminder_name = @reminder_name";
    private const string SelectInRange = "SELECT " + Columns + " FROM orleans_reminders WHERE grain_hash > @begin AND grain_hash <= @end";
    private const string SelectOutsideRange = "SELECT " + Columns + " FROM orleans_reminders WHERE grain_hash > @begin OR grain_hash <= @end";
    private const string Upsert =
        "INSERT INTO orleans_reminders (grain_id, reminder_name, grain_hash, start_at, period, etag) " +
        "VALUES (@grain_id, @reminder_name, @grain_hash, @start_at, @period, @etag) " +
        "ON CONFLICT (grain_id, reminder_name) DO UPDATE SET grain_hash = excluded.grain_hash, start_at = excluded.start_at, " +
        "period = excluded.period, etag = excluded.etag";
    private const string DeleteOne = "DELETE FROM orleans_reminders WHERE grain_id = @grain_id AND reminder_name = @reminder_name AND etag = @etag";
    private const string DeleteAll = "DELETE FROM orleans_reminders";

    private readonly SqliteDialect _dialect;

    /// <summary>The table in the file of <paramref name="options"/>.</summary>
    public SqliteReminderTable(IOptions<SqliteReminderTableOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _dialect = new SqliteDialect(options.Value.ConnectionString);
    }

    /// <summary>Creates the tables if needed (the store's migration, safe to run again).</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // Logs nothing: a node's store migrates the file first (and logs its long steps); this finds it done.
        await _dialect.MigrateAsync(connection, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<ReminderTableData> ReadRows(GrainId grainId) => ReadRows(grainId, CancellationToken.None);

    /// <inheritdoc />
    public Task<ReminderTableData> ReadRows(GrainId grainId, CancellationToken cancellationToken) =>
        ReadAsync(SelectOfGrain, cancellationToken, ("grain_id", grainId.ToString()));

    /// <inheritdoc />
    public Task<ReminderTableData> ReadRows(uint begin, uint end) => ReadRows(begin, end, CancellationToken.None);

    /// <inheritdoc />
    public Task<ReminderTableData> ReadRows(uint begin, uint end, CancellationToken cancellationToken) =>
        ReadAsync(begin < end ? SelectInRange : SelectOutsideRange, cancellationToken, ("begin", (long)begin), ("end", (long)end));

    /// <inheritdoc />
    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) => ReadRow(grainId, reminderName, CancellationToken.None);

    /// <inheritdoc />
    public async Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName, CancellationToken cancellationToken)
    {
        var rows = await ReadAsync(SelectOne, cancellationToken, ("grain_id", grainId.ToString()), ("reminder_name", reminderName)).ConfigureAwait(false);
        return rows.Reminders.Count == 0 ? null : rows.Reminders[0];
    }

    /// <inheritdoc />
    public Task<string?> UpsertRow(ReminderEntry entry) => UpsertRow(entry, CancellationToken.None);

    /// <inheritdoc />
    public async Task<string?> UpsertRow(ReminderEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var etag = Guid.NewGuid().ToString("N");
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await SqlCommands.ExecuteAsync(connection, null, Upsert, cancellationToken,
            ("grain_id", entry.GrainId.ToString()),
            ("reminder_name", entry.ReminderName),
            ("grain_hash", (long)entry.GrainId.GetUniformHashCode()),
            // Orleans passes UTC; an unspecified kind is taken as UTC rather than shifted as local time.
            ("start_at", (entry.StartAt.Kind == DateTimeKind.Local ? entry.StartAt.ToUniversalTime() : entry.StartAt).Ticks),
            ("period", entry.Period.Ticks),
            ("etag", etag)).ConfigureAwait(false);
        return etag;
    }

    /// <inheritdoc />
    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) => RemoveRow(grainId, reminderName, eTag, CancellationToken.None);

    /// <inheritdoc />
    public async Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag, CancellationToken cancellationToken)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await SqlCommands.ExecuteAsync(connection, null, DeleteOne, cancellationToken,
            ("grain_id", grainId.ToString()), ("reminder_name", reminderName), ("etag", eTag)).ConfigureAwait(false) > 0;
    }

    /// <inheritdoc />
    public Task TestOnlyClearTable() => TestOnlyClearTable(CancellationToken.None);

    /// <inheritdoc />
    public async Task TestOnlyClearTable(CancellationToken cancellationToken)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await SqlCommands.ExecuteAsync(connection, null, DeleteAll, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ReminderTableData> ReadAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await SqlCommands.ReadAsync(connection, sql, ToEntry, cancellationToken, parameters).ConfigureAwait(false);
        return new ReminderTableData(rows);
    }

    private static ReminderEntry ToEntry(DbDataReader reader) => new()
    {
        GrainId = GrainId.Parse(reader.GetString(0)),
        ReminderName = reader.GetString(1),
        StartAt = new DateTime(reader.GetInt64(2), DateTimeKind.Utc),
        Period = TimeSpan.FromTicks(reader.GetInt64(3)),
        ETag = reader.GetString(4),
    };
}
