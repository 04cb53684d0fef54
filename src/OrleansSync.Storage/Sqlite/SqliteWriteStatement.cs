using System.Data.Common;
using Microsoft.Data.Sqlite;
using OrleansSync.Storage.Ado;
using SQLitePCL;

namespace OrleansSync.Storage.Sqlite;

/// <summary>
/// A batch writer's statement run on the SQLite connection's own handle: prepared once, then per run bound, stepped and
/// reset, inside the transaction the batch began through Microsoft.Data.Sqlite (a SQLite transaction belongs to the
/// connection, whichever API runs the statements).
/// </summary>
/// <remarks>
/// Each queued event costs two such runs (its queue row's insert and, once acked, its delete). Through
/// <see cref="SqliteCommand"/> each run made a data reader, a statement enumerator and a binder per parameter, and
/// boxed every number: about a tenth of the node's allocation under load (2026-12-06 <c>gc-verbose</c> trace). Here a
/// run allocates nothing: strings are bound as UTF-16 spans, which SQLite copies. Errors surface as the
/// <see cref="SqliteException"/> Microsoft.Data.Sqlite would raise (same codes, so store faults are told apart the
/// same way). Busy waits are SQLite's own (<c>busy_timeout</c>, set on every connection).
/// </remarks>
internal sealed class SqliteWriteStatement : WriteStatement
{
    private readonly sqlite3 _database;
    private readonly sqlite3_stmt _statement;
    private readonly int[] _indexes;

    public SqliteWriteStatement(SqliteConnection connection, string sql, string[] parameterNames) : base(sql, parameterNames)
    {
        _database = connection.Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");
        Check(raw.sqlite3_prepare_v3(_database, sql, raw.SQLITE_PREPARE_PERSISTENT, out _statement));
        _indexes = new int[parameterNames.Length];
        for (var i = 0; i < parameterNames.Length; i++)
        {
            _indexes[i] = raw.sqlite3_bind_parameter_index(_statement, "@" + parameterNames[i]);
            if (_indexes[i] == 0)
            {
                _statement.Dispose();
                throw new ArgumentException($"@{parameterNames[i]} is not a parameter of: {sql}", nameof(parameterNames));
            }
        }
    }

    protected override void Bind(int index, string value) => Check(raw.sqlite3_bind_text16(_statement, _indexes[index], value.AsSpan()));

    protected override void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, _indexes[index], value));

    protected override void Bind(int index, bool value) => Check(raw.sqlite3_bind_int64(_statement, _indexes[index], value ? 1 : 0));

    protected override void Bind(int index, byte[] value) => Check(raw.sqlite3_bind_blob(_statement, _indexes[index], value));

    protected override void BindNull(int index) => Check(raw.sqlite3_bind_null(_statement, _indexes[index]));

    protected override Task<int> Execute(DbTransaction? transaction)
    {
        var result = raw.sqlite3_step(_statement);
        var outcome = result is raw.SQLITE_DONE or raw.SQLITE_ROW
            ? Changed(raw.sqlite3_changes(_database))
            : Task.FromException<int>(Failure(result)); // read before the reset, which may replace the message
        raw.sqlite3_reset(_statement);
        raw.sqlite3_clear_bindings(_statement);
        return outcome;
    }

    public override void Dispose() => _statement.Dispose();

    private static readonly Task<int> NoRow = Task.FromResult(0), OneRow = Task.FromResult(1);

    /// <summary>A finished task per run without allocating one for the usual counts (a row's write changes one row or none).</summary>
    private static Task<int> Changed(int rows) => rows switch { 0 => NoRow, 1 => OneRow, _ => Task.FromResult(rows) };

    private void Check(int result)
    {
        if (result != raw.SQLITE_OK)
        {
            throw Failure(result);
        }
    }

    private SqliteException Failure(int result) =>
        new(raw.sqlite3_errmsg(_database).utf8_to_string() ?? raw.sqlite3_errstr(result).utf8_to_string(), result,
            raw.sqlite3_extended_errcode(_database));
}
