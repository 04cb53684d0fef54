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
        await using DbConnection connection = store switch
        {
            StoreKind.Sqlite => new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString()),
            StoreKind.Postgres => new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString()),
            _ => throw new ArgumentOutOfRangeException(nameof(store)),
        };
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
