using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Hosting;
using Orleans.Providers;
using Orleans.Runtime.Hosting;
using Orleans.Storage;

namespace OrleansSync.Storage.Sqlite;

/// <summary>
/// Puts a silo's grain state and reminders in the store's SQLite file. The connection string is the store's
/// (<see cref="StoreFactory.SqliteConnectionString"/> of <c>Store</c>), so one node keeps everything in one file.
/// </summary>
public static class SqliteSiloBuilderExtensions
{
    /// <summary>Grain state named <paramref name="name"/> (<c>[PersistentState(..., storageName)]</c>) in the file of <paramref name="connectionString"/>.</summary>
    public static ISiloBuilder AddSqliteGrainStorage(this ISiloBuilder builder, string name, string connectionString) =>
        builder.AddSqliteGrainStorage(name, options => options.ConnectionString = connectionString);

    /// <summary>Grain state named <paramref name="name"/>, with options set by <paramref name="configure"/>.</summary>
    public static ISiloBuilder AddSqliteGrainStorage(this ISiloBuilder builder, string name, Action<SqliteGrainStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<SqliteGrainStorageOptions>(name).Configure(configure);
        // Fills GrainStorageSerializer when the options leave it unset: the one registered under this name, else the silo's.
        builder.Services.TryAddEnumerable(ServiceDescriptor.Transient<IPostConfigureOptions<SqliteGrainStorageOptions>,
            DefaultStorageProviderSerializerOptionsConfigurator<SqliteGrainStorageOptions>>());
        builder.Services.AddGrainStorage(name, static (services, key) =>
            new SqliteGrainStorage(key, services.GetRequiredService<IOptionsMonitor<SqliteGrainStorageOptions>>().Get(key)));
        return builder;
    }

    /// <summary>The default grain state (<c>[PersistentState]</c> without a storage name) in the file of <paramref name="connectionString"/>.</summary>
    public static ISiloBuilder AddSqliteGrainStorageAsDefault(this ISiloBuilder builder, string connectionString) =>
        builder.AddSqliteGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, connectionString);

    /// <summary>Turns reminders on and keeps them in the file of <paramref name="connectionString"/>.</summary>
    public static ISiloBuilder UseSqliteReminders(this ISiloBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        builder.AddReminders();
        builder.Services.Configure<SqliteReminderTableOptions>(options => options.ConnectionString = connectionString);
        builder.Services.AddSingleton<IReminderTable, SqliteReminderTable>();
        return builder;
    }
}
