using System.Data.Common;

namespace OrleansSync.Storage.Ado;

/// <summary>
/// One prepared write of the batch writer, bound value by value in its parameter order (the <c>Add</c> overloads) and
/// run in the batch's transaction. Typed binding, so a value is never boxed on the way; a database may run the statement
/// its own way (SQLite: on the connection's handle, <c>SqliteWriteStatement</c>). Its SQL and parameter names also serve
/// as the template of pipelined statements.
/// </summary>
internal abstract class WriteStatement(string sql, string[] parameterNames) : IDisposable
{
    private int _next;

    /// <summary>The statement's SQL.</summary>
    public string Sql { get; } = sql;

    /// <summary>Its parameters' names (without the <c>@</c>), in binding order.</summary>
    public string[] ParameterNames { get; } = parameterNames;

    public WriteStatement Add(string? value)
    {
        if (value is null)
        {
            BindNull(Next());
        }
        else
        {
            Bind(Next(), value);
        }
        return this;
    }

    public WriteStatement Add(long value)
    {
        Bind(Next(), value);
        return this;
    }

    public WriteStatement Add(long? value)
    {
        if (value is { } set)
        {
            Bind(Next(), set);
        }
        else
        {
            BindNull(Next());
        }
        return this;
    }

    public WriteStatement Add(bool value)
    {
        Bind(Next(), value);
        return this;
    }

    public WriteStatement Add(byte[] value)
    {
        Bind(Next(), value);
        return this;
    }

    /// <summary>Runs with the values bound since the last run; returns the rows it affected.</summary>
    public Task<int> RunAsync(DbTransaction? transaction)
    {
        var bound = _next;
        _next = 0;
        return bound == ParameterNames.Length
            ? Execute(transaction)
            : throw new InvalidOperationException($"{ParameterNames.Length} values expected, {bound} bound: {Sql}");
    }

    protected abstract void Bind(int index, string value);

    protected abstract void Bind(int index, long value);

    protected abstract void Bind(int index, bool value);

    protected abstract void Bind(int index, byte[] value);

    protected abstract void BindNull(int index);

    protected abstract Task<int> Execute(DbTransaction? transaction);

    public abstract void Dispose();

    private int Next() => _next < ParameterNames.Length
        ? _next++
        : throw new InvalidOperationException($"more than {ParameterNames.Length} values bound: {Sql}");
}

/// <summary>A <see cref="WriteStatement"/> as an ADO.NET command (PostgreSQL's statement-by-statement path).</summary>
internal sealed class AdoWriteStatement(DbConnection connection, string sql, string[] parameterNames) : WriteStatement(sql, parameterNames)
{
    private readonly DbCommand _command = SqlCommands.Create(connection, sql, parameterNames.Select(name => (name, (object?)null)).ToArray());

    protected override void Bind(int index, string value) => _command.Parameters[index].Value = value;

    protected override void Bind(int index, long value) => _command.Parameters[index].Value = value;

    protected override void Bind(int index, bool value) => _command.Parameters[index].Value = value;

    protected override void Bind(int index, byte[] value) => _command.Parameters[index].Value = value;

    protected override void BindNull(int index) => _command.Parameters[index].Value = DBNull.Value;

    protected override Task<int> Execute(DbTransaction? transaction)
    {
        _command.Transaction = transaction;
        return _command.ExecuteNonQueryAsync();
    }

    public override void Dispose() => _command.Dispose();
}
