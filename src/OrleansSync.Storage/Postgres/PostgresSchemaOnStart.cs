using Orleans;
using Orleans.Runtime;

namespace OrleansSync.Storage.Postgres;

/// <summary>
/// Brings the store's PostgreSQL schema up to date (<see cref="PostgresDialect.MigrateAsync"/>, under its advisory lock)
/// at the start of the silo, before Orleans' ADO.NET providers read their named queries: membership starts at
/// <see cref="ServiceLifecycleStage.RuntimeGrainServices"/>, reminders and grain state later still. A node has already
/// migrated before its host starts, so there this finds nothing to do; a silo on its own (a test's) needs it.
/// </summary>
internal sealed class PostgresSchemaOnStart(string connectionString) : ILifecycleParticipant<ISiloLifecycle>
{
    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(PostgresSchemaOnStart), ServiceLifecycleStage.RuntimeInitialize, MigrateAsync);

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var dialect = new PostgresDialect(connectionString);
        await using var connection = await dialect.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await dialect.MigrateAsync(connection, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, cancellationToken).ConfigureAwait(false);
    }
}
