using Microsoft.Extensions.Hosting;

namespace OrleansSync.Cluster;

/// <summary>
/// Starts the sweeper once the silo runs (a hosted service registered after the silo's, so it starts after it) on nodes
/// with the <c>Silo</c> role. A node that cannot store its reminder fails to start, with the store's error.
/// </summary>
public sealed class SweeperStart(IGrainFactory grains, NodeRoles roles) : IHostedService
{
    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (roles.Silo)
        {
            await grains.GetGrain<ISweeperGrain>(SweeperGrain.Key).StartAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
