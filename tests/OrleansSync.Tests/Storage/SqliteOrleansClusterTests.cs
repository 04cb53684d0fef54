using Microsoft.Extensions.Options;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;
using OrleansSync.Storage.Sqlite;
using OrleansSync.Tests.Infrastructure;
using OrleansSync.Tests.OrleansGrains;
using Xunit;

namespace OrleansSync.Tests.Storage;

/// <summary>
/// A real Orleans silo (TestingHost, in-process) with its grain state and reminders in one SQLite file: what a grain
/// writes is there for its next activation and after the whole cluster is restarted on the same file, and a reminder
/// registered before the restart fires again without being registered again.
/// </summary>
public sealed class SqliteOrleansClusterTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly SqliteTestFile _file = new();

    public void Dispose() => _file.Dispose();

    private async Task<InProcessTestCluster> StartClusterAsync()
    {
        var connectionString = _file.ConnectionString;
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) => silo
            .AddSqliteGrainStorage(StoredCounterGrain.StorageName, connectionString)
            .UseSqliteReminders(connectionString)
            // The default minimum period is one minute; a test waits for ticks a second apart.
            .Configure<ReminderOptions>(options => options.MinimumReminderPeriod = TimeSpan.FromSeconds(1)));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private SqliteReminderTable OpenTable() => new(Options.Create(new SqliteReminderTableOptions { ConnectionString = _file.ConnectionString }));

    [Fact]
    public async Task Grain_state_survives_a_deactivation_and_a_restart_of_the_cluster()
    {
        var cluster = await StartClusterAsync();
        try
        {
            var grain = cluster.Client.GetGrain<IStoredCounterGrain>("alice");
            await grain.IncrementAsync();
            await grain.IncrementAsync();
            var first = await grain.GetActivationAsync();

            await cluster.DeactivateAsync(grain);

            Assert.NotEqual(first, await grain.GetActivationAsync());
            Assert.Equal(2, await grain.GetCountAsync());
            Assert.Equal(3, await grain.IncrementAsync());
        }
        finally
        {
            await cluster.DisposeAsync();
        }

        var restarted = await StartClusterAsync();
        try
        {
            var grain = restarted.Client.GetGrain<IStoredCounterGrain>("alice");
            Assert.Equal(3, await grain.GetCountAsync());
            Assert.Equal(0, await restarted.Client.GetGrain<IStoredCounterGrain>("bob").GetCountAsync());
        }
        finally
        {
            await restarted.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_reminder_is_kept_in_the_table_fires_and_fires_again_after_a_restart_of_the_cluster()
    {
        var cluster = await StartClusterAsync();
        GrainId grainId;
        try
        {
            var grain = cluster.Client.GetGrain<IStoredCounterGrain>("ticking");
            grainId = grain.GetGrainId();
            await grain.StartReminderAsync(TimeSpan.FromSeconds(1));

            var row = await OpenTable().ReadRow(grainId, StoredCounterGrain.ReminderName);
            Assert.NotNull(row);
            Assert.Equal(TimeSpan.FromSeconds(1), row.Period);
            await Eventually.TrueAsync(async () => await grain.GetReminderTicksAsync() >= 2, Patience, "the reminder fires");
        }
        finally
        {
            await cluster.DisposeAsync();
        }

        var restarted = await StartClusterAsync();
        try
        {
            // Nothing registers the reminder on this cluster: it is read back from the table.
            var grain = restarted.Client.GetGrain<IStoredCounterGrain>("ticking");
            var ticksBefore = await grain.GetReminderTicksAsync();
            Assert.True(ticksBefore >= 2, $"the ticks of the first cluster are in the state (was {ticksBefore})");
            await Eventually.TrueAsync(async () => await grain.GetReminderTicksAsync() > ticksBefore, Patience, "the reminder fires after the restart");

            await grain.StopReminderAsync();
            Assert.Null(await OpenTable().ReadRow(grainId, StoredCounterGrain.ReminderName));
        }
        finally
        {
            await restarted.DisposeAsync();
        }
    }
}
