using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>
/// Reads a node's database on a connection of its own (not the node's pool), to observe what is durable.
/// The SQL uses <c>@name</c> parameters and portable SQL, so one probe serves both stores.
/// </summary>
public static class StoreProbe
{
    public static async Task<long> ScalarAsync(StoreKind store, string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenAsync(store, connectionString);
        await using var command = Command(connection, sql, parameters);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The first column of every row, as strings, in the order the query returns them.</summary>
    public static async Task<List<string>> StringsAsync(StoreKind store, string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenAsync(store, connectionString);
        await using var command = Command(connection, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }
        return values;
    }

    private static async Task<DbConnection> OpenAsync(StoreKind store, string connectionString)
    {
        DbConnection connection = store switch
        {
            StoreKind.Sqlite => new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString()),
            StoreKind.Postgres or StoreKind.PostgresCluster => new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString()),
            _ => throw new ArgumentOutOfRangeException(nameof(store)),
        };
        await connection.OpenAsync();
        return connection;
    }

    private static DbCommand Command(DbConnection connection, string sql, (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
        return command;
    }
}
