using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Hosting;
using Orleans.Providers;
using Orleans.Runtime;

namespace OrleansSync.Storage.Postgres;

/// <summary>
/// Puts a silo's membership, grain state and reminders in the store's PostgreSQL database through Orleans' own ADO.NET
/// providers, on the schema this project writes (<see cref="OrleansSchema"/>). Each registration also brings the schema up
/// to date when the silo starts (<see cref="PostgresSchemaOnStart"/>), so the providers never start on a database without
/// their queries. The connection string is the store's (<c>Store:ConnectionString</c>).
/// </summary>
public static class PostgresSiloBuilderExtensions
{
    /// <summary>The ADO.NET invariant under which Orleans loads Npgsql.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>
    /// Grain state named <paramref name="name"/> (<c>[PersistentState(..., storageName)]</c>). A clear deletes the row:
    /// sessions end all the time, and a kept empty row per ended session would grow the table without bound.
    /// </summary>
    public static ISiloBuilder AddPostgresGrainStorage(this ISiloBuilder builder, string name, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        builder.Services.AddSchemaOnStart(connectionString);
        return builder.AddAdoNetGrainStorage(name, options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = connectionString;
            options.DeleteStateOnClear = true;
        });
    }

    /// <summary>The default grain state (<c>[PersistentState]</c> without a storage name).</summary>
    public static ISiloBuilder AddPostgresGrainStorageAsDefault(this ISiloBuilder builder, string connectionString) =>
        builder.AddPostgresGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, connectionString);

    /// <summary>Turns reminders on and keeps them in the database.</summary>
    public static ISiloBuilder UsePostgresReminders(this ISiloBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        builder.Services.AddSchemaOnStart(connectionString);
        return builder.UseAdoNetReminderService(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = connectionString;
        });
    }

    /// <summary>
    /// Orleans membership in the database: every silo of the same cluster id on this database joins one cluster. The
    /// silo's cluster id, service id and endpoints are the caller's to set.
    /// </summary>
    public static ISiloBuilder UsePostgresClustering(this ISiloBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        builder.Services.AddSchemaOnStart(connectionString);
        return builder.UseAdoNetClustering(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = connectionString;
        });
    }

    /// <summary>One schema migration per silo, however many providers ask for it.</summary>
    private static void AddSchemaOnStart(this IServiceCollection services, string connectionString)
    {
        if (!services.Any(service => service.ImplementationInstance is PostgresSchemaOnStart))
        {
            services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(new PostgresSchemaOnStart(connectionString));
        }
    }
}
