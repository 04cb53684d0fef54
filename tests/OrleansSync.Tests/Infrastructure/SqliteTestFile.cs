using Microsoft.Data.Sqlite;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>A SQLite file of its own in a fresh test folder; disposing closes pooled connections to it and removes the folder.</summary>
public sealed class SqliteTestFile : IDisposable
{
    private readonly string _folder = TestFolder.Create();

    public SqliteTestFile() => ConnectionString = $"Data Source={Path.Combine(_folder, "node.db")}";

    public string ConnectionString { get; }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        TestFolder.Delete(_folder);
    }
}
