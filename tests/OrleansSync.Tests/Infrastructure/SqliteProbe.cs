using Microsoft.Data.Sqlite;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>Reads the node's SQLite file directly, to observe what is durable.</summary>
public static class SqliteProbe
{
    public static async Task<long> ScalarAsync(string file, string sql, string id)
    {
        await using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", id);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
