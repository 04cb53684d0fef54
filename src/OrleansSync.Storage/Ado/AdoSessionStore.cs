using System.Data.Common;
using Microsoft.Extensions.Logging;

namespace OrleansSync.Storage.Ado;

/// <summary><see cref="ISessionStore"/> over ADO.NET: reads on pooled connections, writes through the <see cref="BatchWriter"/>.</summary>
public sealed class AdoSessionStore : ISessionStore, IAsyncDisposable
{
    private readonly SqlDialect _dialect;
    private readonly BatchWriter _writer;

    /// <summary>Creates the store; call <see cref="MigrateAsync"/> before use.</summary>
    public AdoSessionStore(SqlDialect dialect, ILogger<AdoSessionStore> logger)
    {
        _dialect = dialect;
        _writer = new BatchWriter(dialect, logger);
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
        await _dialect.MigrateAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<SessionRecord?> LoadSessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, _dialect.SelectSession, ("session_id", sessionId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        DateTimeOffset? deadline = reader.IsDBNull(2) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2));
        return new SessionRecord(sessionId, reader.GetString(0), reader.GetBoolean(1), deadline);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredEvent>> LoadQueueAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, _dialect.SelectQueue, ("session_id", sessionId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var events = new List<StoredEvent>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            events.Add(new StoredEvent(reader.GetInt64(0), reader.GetString(1), (byte[])reader.GetValue(2)));
        }
        return events;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> LoadUserSessionIdsAsync(string userId, CancellationToken cancellationToken = default) =>
        ReadStringsAsync(_dialect.SelectUserSessions, cancellationToken, ("user_id", userId));

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> FindExpiredSessionsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) =>
        ReadStringsAsync(_dialect.SelectExpired, cancellationToken, ("now", now.ToUnixTimeMilliseconds()), ("limit", limit));

    /// <inheritdoc />
    public async Task StartRetentionForOrphansAsync(DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, _dialect.StartRetentionForOrphans,
            ("deadline", deadline.ToUnixTimeMilliseconds()), ("false", false));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task SaveSessionAsync(SessionRecord session) =>
        _writer.Enqueue(new StoreWrite(StoreWriteKind.UpsertSession, session.SessionId, Session: session));

    /// <inheritdoc />
    public Task DeleteSessionAsync(string sessionId) => _writer.Enqueue(new StoreWrite(StoreWriteKind.DeleteSession, sessionId));

    /// <inheritdoc />
    public Task AppendEventAsync(string sessionId, long sequence, string eventId, byte[] frame) =>
        _writer.Enqueue(new StoreWrite(StoreWriteKind.InsertEvent, sessionId, sequence, eventId, frame));

    /// <inheritdoc />
    public Task RemoveEventAsync(string sessionId, long sequence) =>
        _writer.Enqueue(new StoreWrite(StoreWriteKind.DeleteEvent, sessionId, sequence));

    /// <inheritdoc />
    public Task ClearQueueAsync(string sessionId) => _writer.Enqueue(new StoreWrite(StoreWriteKind.DeleteQueue, sessionId));

    /// <inheritdoc />
    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, _dialect.Ping);
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Flushes queued writes.</summary>
    public ValueTask DisposeAsync() => _writer.DisposeAsync();

    private async Task<IReadOnlyList<string>> ReadStringsAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await _dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await SqlCommands.ReadAsync(connection, sql, static reader => reader.GetString(0), cancellationToken, parameters).ConfigureAwait(false);
    }

    private static DbCommand Command(DbConnection connection, string sql, params (string Name, object? Value)[] parameters) =>
        SqlCommands.Create(connection, sql, parameters);
}
