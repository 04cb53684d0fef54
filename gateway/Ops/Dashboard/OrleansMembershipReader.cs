using Orleans;
using Orleans.Runtime;

namespace OrleansSync.Gateway.Ops.Dashboard;

/// <summary>
/// The cluster's silos as Orleans' membership knows them (<see cref="IManagementGrain.GetDetailedHosts(bool, CancellationToken)"/>: the
/// membership table, read again for each call), for the dashboard. On PostgreSQL that is every silo node on the database;
/// on SQLite it is this node's silo alone.
/// </summary>
public sealed class OrleansMembershipReader(IGrainFactory grains, IServiceProvider services)
{
    /// <summary>This process's silo; none on a gateway-only node, an Orleans client.</summary>
    private readonly SiloAddress? _localSilo = (services.GetService(typeof(ILocalSiloDetails)) as ILocalSiloDetails)?.SiloAddress;

    /// <summary>Dead silos stay in the table until Orleans' defunct-silo cleanup: only the newest few are listed.</summary>
    public const int DeadSilosListed = 10;

    /// <summary>A slow or unreachable membership table must not hold up the dashboard's poll.</summary>
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Reads the table now: live silos first (this one first among them), then the newest dead ones.</summary>
    public async Task<SiloMembership> ReadAsync(CancellationToken cancellationToken)
    {
        MembershipEntry[] entries;
        try
        {
            entries = await grains.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false, cancellationToken).WaitAsync(ReadTimeout, cancellationToken);
        }
        catch (Exception error) when (!cancellationToken.IsCancellationRequested)
        {
            // Starting or stopping silo, or an unreachable table: the page says so instead of failing the whole poll.
            return new SiloMembership([], 0, $"{error.GetType().Name}: {error.Message}");
        }
        var ordered = entries
            .OrderBy(e => e.Status == SiloStatus.Dead)
            .ThenByDescending(e => e.SiloAddress.Equals(_localSilo))
            .ThenByDescending(e => e.StartTime)
            .ToList();
        var dead = ordered.Count(e => e.Status == SiloStatus.Dead);
        var listed = ordered.Take(ordered.Count - dead + Math.Min(dead, DeadSilosListed));
        return new SiloMembership(listed.Select(Row).ToArray(), Math.Max(0, dead - DeadSilosListed), null);
    }

    private SiloRow Row(MembershipEntry entry) => new(
        entry.SiloAddress.ToParsableString(),
        entry.SiloName,
        entry.HostName,
        entry.Status.ToString(),
        new DateTimeOffset(DateTime.SpecifyKind(entry.StartTime, DateTimeKind.Utc)), // Orleans writes UTC; a table may read it back unmarked
        entry.SiloAddress.Equals(_localSilo),
        entry.ProxyPort > 0,
        entry.ProxyPort > 0 ? entry.ProxyPort : null);
}
