namespace OrleansSync.Tests.Infrastructure;

/// <summary>The database a <see cref="TestNode"/> runs on.</summary>
public enum StoreKind
{
    /// <summary>A fresh SQLite file under the temp folder.</summary>
    Sqlite,

    /// <summary>A fresh database on this run's private <see cref="PostgresServer"/>.</summary>
    Postgres,
}
