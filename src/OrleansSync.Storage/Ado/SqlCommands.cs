using System.Data.Common;

namespace OrleansSync.Storage.Ado;

/// <summary>Builds parameterised commands (values are never spliced into SQL text).</summary>
internal static class SqlCommands
{
    public static DbCommand Create(DbConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    /// <summary>Adds <paramref name="template"/>'s SQL with these values (in its parameter order) to the batch; returns its index.</summary>
    public static int AppendToBatch(DbBatch batch, WriteStatement template, params object?[] values)
    {
        var statement = batch.CreateBatchCommand();
        statement.CommandText = template.Sql;
        for (var i = 0; i < values.Length; i++)
        {
            AddParameter(statement, "@" + template.ParameterNames[i], values[i]);
        }
        batch.BatchCommands.Add(statement);
        return batch.BatchCommands.Count - 1;
    }

    /// <summary>Adds <paramref name="sql"/> with these named values to the batch; returns its index.</summary>
    public static int AppendToBatch(DbBatch batch, string sql, string[] names, params object[] values)
    {
        var statement = batch.CreateBatchCommand();
        statement.CommandText = sql;
        for (var i = 0; i < names.Length; i++)
        {
            AddParameter(statement, names[i], values[i]);
        }
        batch.BatchCommands.Add(statement);
        return batch.BatchCommands.Count - 1;
    }

    private static void AddParameter(DbBatchCommand statement, string name, object? value)
    {
        var parameter = statement.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        statement.Parameters.Add(parameter);
    }

    public static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        await using var command = Create(connection, sql, parameters);
        command.Transaction = transaction;
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static Task<List<T>> ReadAsync<T>(DbConnection connection, string sql, Func<DbDataReader, T> map, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters) => ReadAsync(connection, null, sql, map, cancellationToken, parameters);

    public static async Task<List<T>> ReadAsync<T>(DbConnection connection, DbTransaction? transaction, string sql, Func<DbDataReader, T> map,
        CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Create(connection, sql, parameters);
        command.Transaction = transaction;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await ReadRowsAsync(reader, map, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs the batch in one round trip and returns each statement's rows, in statement order.</summary>
    public static async Task<List<List<T>>> ReadBatchAsync<T>(DbBatch batch, Func<DbDataReader, T> map, CancellationToken cancellationToken)
    {
        var results = new List<List<T>>(batch.BatchCommands.Count);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        do
        {
            results.Add(await ReadRowsAsync(reader, map, cancellationToken).ConfigureAwait(false));
        }
        while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false));
        return results;
    }

    /// <summary>The rows of the reader's current result.</summary>
    private static async Task<List<T>> ReadRowsAsync<T>(DbDataReader reader, Func<DbDataReader, T> map, CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(map(reader));
        }
        return rows;
    }

    public static long ToUnixMs(DateTimeOffset value) => value.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromUnixMs(long value) => DateTimeOffset.FromUnixTimeMilliseconds(value);

    public static string? NullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
