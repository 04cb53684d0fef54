using Orleans.Hosting;

namespace OrleansSync.Storage.Postgres;

/// <summary>
/// An Orleans client (a gateway-only node) finds the cluster's silos in the store's PostgreSQL database: the membership
/// table lists each silo's client gateway. The client reads only; the silos create the schema.
/// </summary>
public static class PostgresClientBuilderExtensions
{
    /// <summary>The cluster's gateways from the membership table in the database of <paramref name="connectionString"/>.</summary>
    public static IClientBuilder UsePostgresClustering(this IClientBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.UseAdoNetClustering(options =>
        {
            options.Invariant = PostgresSiloBuilderExtensions.Invariant;
            options.ConnectionString = connectionString;
        });
    }
}
