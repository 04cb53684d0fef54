using System.Data.Common;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Microsoft.Extensions.Logging;
using OrleansSync.Storage.Ado;

namespace OrleansSync.Storage.Sqlite;

/// <summary>SQLite: one file in WAL mode (readers never block the single writer), created on first run.</summary>
public sealed partial class SqliteDialect : SqlDialect
{
    private readonly string _connectionString;

    /// <summary>Uses <paramref name="connectionString"/>, creating the folder of its file if needed.</summary>
    public SqliteDialect(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true };
        if (builder.DataSource is { Length: > 0 } file && file != ":memory:" && Path.GetDirectoryName(Path.GetFullPath(file)) is { } folder)
        {
            Directory.CreateDirectory(folder);
        }
        _connectionString = builder.ToString();
    }

    /// <inheritdoc />
    public override async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        // busy_timeout: SQLite's own busy handler waits for the write lock in steps of a few milliseconds; without it
        // Microsoft.Data.Sqlite retries after 150 ms sleeps, and every publish and ack waiting for a group commit
        // waited with it (measured: p99 125-143 ms at 1,000 publishes/s).
        // synchronous=NORMAL (WAL): durable across a process crash, not an OS crash, on every connection, so a
        // heartbeat or claim holds the write lock for a commit without an fsync, not for one.
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;";
        await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    /// <inheritdoc />
    /// <remarks>
    /// SQLite's primary result codes for a file it cannot write: read-only (write-protected file or folder, read-only
    /// file system), full (disk full, or <c>max_page_count</c>), I/O errors, a file it cannot open, a lock still held when
    /// <c>busy_timeout</c> ran out.
    /// </remarks>
    public override string? DescribeFault(Exception exception) => exception is SqliteException sqlite
        ? sqlite.SqliteErrorCode switch
        {
            raw.SQLITE_READONLY => "read-only: " + sqlite.Message,
            raw.SQLITE_FULL => "full: " + sqlite.Message,
            raw.SQLITE_IOERR => "I/O error: " + sqlite.Message,
            raw.SQLITE_CANTOPEN => "cannot open the file: " + sqlite.Message,
            raw.SQLITE_PERM => "permission denied: " + sqlite.Message,
            raw.SQLITE_BUSY or raw.SQLITE_LOCKED => "locked: " + sqlite.Message,
            _ => null,
        }
        : null;

    /// <inheritdoc />
    internal override WriteStatement PrepareWrite(DbConnection connection, string sql, string[] parameterNames) =>
        new SqliteWriteStatement((SqliteConnection)connection, sql, parameterNames);

    /// <inheritdoc />
    public override void ResetConnections()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    /// <summary>
    /// 10 ms. A SQLite commit is local and cheap, but a publish's copies reach the writer from as many grain turns as it
    /// has sessions, on several threads: without a moment to gather them, commits carried ~5 writes each (2 ms was the
    /// default from 2026-12-06: 8.2k → 11.0k acked deliveries/s). And a tab's ack that arrives while its event's row
    /// still waits in the batch cancels both writes: on 2026-12-07 10 ms (with <see cref="DefaultCommitBatchSize"/>)
    /// took the rows written per delivery at saturation from 1.97 to about 1.35 (bench/README); at lower rates acks
    /// return sooner, so fewer still are written. The price: a publish whose copies are not all acked within the delay
    /// is answered up to 10 ms later (frames reach sockets before the commit either way).
    /// </summary>
    public override TimeSpan DefaultCommitDelay => TimeSpan.FromMilliseconds(10);

    /// <inheritdoc />
    /// <remarks>
    /// 4096: a busy node's writes (two per delivery, ~60,000 a second at saturation here) would fill 256 in about 4 ms
    /// and start the commit before most acks could cancel their rows; a batch of this size still commits in ~1.5 ms.
    /// </remarks>
    public override int DefaultCommitBatchSize => 4096;

    private readonly SemaphoreSlim _exclusive = new(1, 1);

    /// <summary>SQLite is one process's file: an in-process lock is exclusive enough.</summary>
    public override async Task<bool> TryRunExclusiveAsync(string name, Func<CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        if (!await _exclusive.WaitAsync(0, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }
        try
        {
            await work(cancellationToken).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _exclusive.Release();
        }
    }

    /// <summary>The schema version this build migrates to (<c>PRAGMA user_version</c>).</summary>
    public static int SchemaVersion => SqliteSchema.Migrations.Length;

    // The grain storage and reminder providers migrate the same file on start too: one migration at a time per process.
    private static readonly SemaphoreSlim Migrating = new(1, 1);

    /// <inheritdoc />
    /// <remarks>
    /// A new file is made with incremental auto-vacuum, so the sweeper can give free pages back (<see cref="ReclaimSpaceAsync"/>);
    /// the setting must come before the first table and before WAL mode. The missing steps of <see cref="SqliteSchema"/> run
    /// in one immediate transaction each (whoever migrates the file at once waits, then finds nothing left to do). A file
    /// made without it gets it once, through a VACUUM: it rewrites the whole file (its live data: a few seconds for a few
    /// hundred megabytes) and needs that much free disk meanwhile; the node logs it.
    /// </remarks>
    public override async Task MigrateAsync(DbConnection connection, ILogger logger, CancellationToken cancellationToken)
    {
        await Migrating.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = connection.CreateCommand();
            if (await ScalarAsync(command, "SELECT COUNT(*) FROM sqlite_master", cancellationToken).ConfigureAwait(false) == 0)
            {
                command.CommandText = "PRAGMA auto_vacuum = INCREMENTAL";
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            command.CommandText = "PRAGMA journal_mode = WAL";
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            for (var version = 1; version <= SqliteSchema.Migrations.Length; version++)
            {
                await using var transaction = ((SqliteConnection)connection).BeginTransaction(deferred: false);
                command.Transaction = transaction;
                if (await ScalarAsync(command, "PRAGMA user_version", cancellationToken).ConfigureAwait(false) < version)
                {
                    await SqliteSchema.Migrations[version - 1](command, cancellationToken).ConfigureAwait(false);
                    command.CommandText = $"PRAGMA user_version = {version}";
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                command.Transaction = null;
            }
            if (await ScalarAsync(command, "PRAGMA auto_vacuum", cancellationToken).ConfigureAwait(false) != IncrementalAutoVacuum)
            {
                await SwitchToIncrementalVacuumAsync(command, logger, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Migrating.Release();
        }
    }

    private const long IncrementalAutoVacuum = 2;

    private static async Task SwitchToIncrementalVacuumAsync(DbCommand command, ILogger logger, CancellationToken cancellationToken)
    {
        var before = await FileBytesAsync(command, cancellationToken).ConfigureAwait(false);
        Log.VacuumStarting(logger, before / (1024 * 1024));
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        // The VACUUM goes through the WAL; the checkpoint writes it into the file and truncates the WAL again.
        command.CommandText = "PRAGMA auto_vacuum = INCREMENTAL; VACUUM; PRAGMA wal_checkpoint(TRUNCATE);";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        Log.VacuumDone(logger, System.Diagnostics.Stopwatch.GetElapsedTime(started), await FileBytesAsync(command, cancellationToken).ConfigureAwait(false) / (1024 * 1024));
    }

    /// <summary>
    /// Free pages are given back once they make up at least an eighth of the file and <see cref="ReclaimMinimumPages"/>:
    /// pages freed and soon reused (the queue's steady churn) are not worth moving. Up to <see cref="ReclaimChunkPages"/>
    /// per call, so the write lock is held briefly; the sweeper calls again each round until the rest is below the mark.
    /// </summary>
    public override async Task<long> ReclaimSpaceAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        var free = await ScalarAsync(command, "PRAGMA freelist_count", cancellationToken).ConfigureAwait(false);
        if (free < ReclaimMinimumPages || free * 8 < await ScalarAsync(command, "PRAGMA page_count", cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }
        command.CommandText = $"PRAGMA incremental_vacuum({ReclaimChunkPages})";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        var released = free - await ScalarAsync(command, "PRAGMA freelist_count", cancellationToken).ConfigureAwait(false);
        return released * await ScalarAsync(command, "PRAGMA page_size", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>1,024 pages (4 MiB at SQLite's default page size).</summary>
    public const int ReclaimMinimumPages = 1024;

    /// <summary>16,384 pages (64 MiB at SQLite's default page size).</summary>
    public const int ReclaimChunkPages = 16384;

    private static async Task<long> FileBytesAsync(DbCommand command, CancellationToken cancellationToken) =>
        await ScalarAsync(command, "PRAGMA page_count", cancellationToken).ConfigureAwait(false)
        * await ScalarAsync(command, "PRAGMA page_size", cancellationToken).ConfigureAwait(false);

    private static async Task<long> ScalarAsync(DbCommand command, string sql, CancellationToken cancellationToken)
    {
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning,
            "The store file ({Megabytes} MiB) was made without incremental auto-vacuum: rewriting it once (VACUUM) so the sweeper can give free space back. This takes a while for a big file and needs as much free disk.")]
        public static partial void VacuumStarting(ILogger logger, long megabytes);

        [LoggerMessage(2, LogLevel.Information, "The store file was rewritten in {Elapsed}; it now holds {Megabytes} MiB.")]
        public static partial void VacuumDone(ILogger logger, TimeSpan elapsed, long megabytes);
    }
}
