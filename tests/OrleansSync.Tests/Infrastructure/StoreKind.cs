namespace OrleansSync.Tests.Infrastructure;

/// <summary>The database a <see cref="TestNode"/> runs on.</summary>
public enum StoreKind
{
    /// <summary>A fresh SQLite file under the temp folder.</summary>
    Sqlite,

    /// <summary>A fresh database on this run's private <see cref="PostgresServer"/>.</summary>
    Postgres,

    /// <summary>
    /// As <see cref="Postgres"/>, with a second node on the same database: the two silos form one Orleans cluster, so
    /// the grains a test reaches through its node (user, room, sweeper) may run on either silo and calls cross silos.
    /// </summary>
    PostgresCluster,
}
