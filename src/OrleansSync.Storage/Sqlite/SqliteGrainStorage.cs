using System.Data.Common;
using Orleans;
using Orleans.Runtime;
using Orleans.Storage;
using OrleansSync.Storage.Ado;

namespace OrleansSync.Storage.Sqlite;

/// <summary>
/// Orleans grain state (<see cref="IGrainStorage"/>) in the store's own SQLite file, table <c>orleans_grain_state</c>
/// (created by <see cref="SqliteDialect.MigrateAsync"/>).
/// </summary>
/// <remarks>
/// Rules:
/// <list type="bullet">
/// <item>One row per provider name, grain id and state name; the state is the bytes of the configured
/// <see cref="IGrainStorageSerializer"/>, so a grain's state reads the same here as through Orleans' providers on
/// PostgreSQL with the same serializer.</item>
/// <item>Every write stores a fresh random ETag, not a counter: a clear deletes the row, and a counter starting again
/// at 1 would let a writer still holding the ETag from before the clear overwrite the new row.</item>
/// <item>A write or clear whose ETag is not the stored one (null: "there is no row") changes nothing and throws
/// <see cref="InconsistentStateException"/>, on which Orleans drops the activation so the next one re-reads.</item>
/// <item>A clear deletes the row instead of keeping an empty one: sessions end all the time, and a kept row per
/// ended session would grow the file without bound.</item>
/// </list>
/// Ours rather than Orleans' ADO.NET provider: that one can load Microsoft.Data.Sqlite (invariant
/// <c>System.Data.SQLite</c>), but opens connections without the store's setup (<c>busy_timeout</c>, <c>synchronous</c>)
/// and needs its whole query contract rewritten in SQLite (docs/ARCHITECTURE.md, Store).
/// </remarks>
public sealed class SqliteGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private const string Key = "provider = @provider AND grain_id = @grain_id AND state_name = @state_name";
    private const string Select = "SELECT etag, payload FROM orleans_grain_state WHERE " + Key;
    private const string SelectETag = "SELECT etag FROM orleans_grain_state WHERE " + Key;
    private const string Insert =
        "INSERT INTO orleans_grain_state (provider, grain_id, state_name, etag, payload) " +
        "VALUES (@provider, @grain_id, @state_name, @new_etag, @payload) ON CONFLICT DO NOTHING";
    private const string Update = "UPDATE orleans_grain_state SET etag = @new_etag, payload = @payload WHERE " + Key + " AND etag = @etag";
    private const string Delete = "DELETE FROM orleans_grain_state WHERE " + Key + " AND etag = @etag";

    private readonly string _name;
    private readonly IGrainStorageSerializer _serializer;
    private readonly SqliteDialect _dialect;

    /// <summary>The provider registered as <paramref name="name"/>, on the file of <paramref name="options"/>.</summary>
    public SqliteGrainStorage(string name, SqliteGrainStorageOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        _name = name;
        _serializer = options.GrainStorageSerializer
            ?? throw new InvalidOperationException($"Grain storage '{name}' has no {nameof(IGrainStorageSerializer)}.");
        _dialect = new SqliteDialect(options.ConnectionString);
    }

    /// <summary>Creates the tables if needed (the store's migration, safe to run again); the silo runs it on start.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // Logs nothing: a node's store migrates the file first (and logs its long steps); this finds it done.
        await _dialect.MigrateAsync(connection, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe($"{nameof(SqliteGrainStorage)}-{_name}", ServiceLifecycleStage.ApplicationServices, InitializeAsync);

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await SqlCommands.ReadAsync(connection, Select, reader => (ETag: reader.GetString(0), Payload: reader.GetFieldValue<byte[]>(1)),
            cancellationToken, KeyOf(stateName, grainId)).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            grainState.ETag = null;
            grainState.State = Activator.CreateInstance<T>();
            grainState.RecordExists = false;
            return;
        }
        grainState.ETag = rows[0].ETag;
        grainState.State = _serializer.Deserialize<T>(new BinaryData(rows[0].Payload)) ?? Activator.CreateInstance<T>();
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var payload = _serializer.Serialize(grainState.State).ToArray();
        var newETag = NewETag();
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // No ETag: the grain saw no row, so only an insert may succeed; else only an update of the row it read.
        var written = grainState.ETag is null
            ? await SqlCommands.ExecuteAsync(connection, null, Insert, cancellationToken,
                KeyOf(stateName, grainId, ("new_etag", newETag), ("payload", payload))).ConfigureAwait(false)
            : await SqlCommands.ExecuteAsync(connection, null, Update, cancellationToken,
                KeyOf(stateName, grainId, ("etag", grainState.ETag), ("new_etag", newETag), ("payload", payload))).ConfigureAwait(false);
        if (written == 0)
        {
            throw await ConflictAsync(connection, "write", stateName, grainId, grainState.ETag, cancellationToken).ConfigureAwait(false);
        }
        grainState.ETag = newETag;
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (grainState.ETag is null)
        {
            // Nothing to delete for a grain that saw no row, unless one was written since.
            var stored = await ReadETagAsync(connection, stateName, grainId, cancellationToken).ConfigureAwait(false);
            if (stored is not null)
            {
                throw Conflict("clear", stateName, grainId, stored, null);
            }
        }
        else if (await SqlCommands.ExecuteAsync(connection, null, Delete, cancellationToken,
                     KeyOf(stateName, grainId, ("etag", grainState.ETag))).ConfigureAwait(false) == 0)
        {
            throw await ConflictAsync(connection, "clear", stateName, grainId, grainState.ETag, cancellationToken).ConfigureAwait(false);
        }
        grainState.ETag = null;
        grainState.State = Activator.CreateInstance<T>();
        grainState.RecordExists = false;
    }

    /// <summary>The row's key as parameters, then <paramref name="more"/>.</summary>
    private (string Name, object? Value)[] KeyOf(string stateName, GrainId grainId, params (string Name, object? Value)[] more) =>
        [("provider", _name), ("grain_id", grainId.ToString()), ("state_name", stateName), .. more];

    private async Task<string?> ReadETagAsync(DbConnection connection, string stateName, GrainId grainId, CancellationToken cancellationToken)
    {
        var rows = await SqlCommands.ReadAsync(connection, SelectETag, reader => reader.GetString(0), cancellationToken, KeyOf(stateName, grainId))
            .ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    private async Task<InconsistentStateException> ConflictAsync(DbConnection connection, string operation, string stateName,
        GrainId grainId, string? currentETag, CancellationToken cancellationToken) =>
        Conflict(operation, stateName, grainId, await ReadETagAsync(connection, stateName, grainId, cancellationToken).ConfigureAwait(false), currentETag);

    private InconsistentStateException Conflict(string operation, string stateName, GrainId grainId, string? storedETag, string? currentETag) =>
        new($"The {operation} of state '{stateName}' of {grainId} in grain storage '{_name}' was refused: the stored ETag is " +
            $"{storedETag ?? "none (no row)"}, the grain had {currentETag ?? "none"}.", storedETag, currentETag);

    private static string NewETag() => Guid.NewGuid().ToString("N");
}
