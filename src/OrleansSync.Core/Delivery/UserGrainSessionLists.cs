using Microsoft.Extensions.Options;
using OrleansSync.Cluster;

namespace OrleansSync.Delivery;

/// <summary>
/// Asks each user's grain, wherever in the cluster it runs, to drop its kept session list. Where that cannot be asked
/// (a grain call failed, or the users are not known: a write fenced out by the store), it waits out the lists'
/// lifetime instead: no list read before the call is used after that.
/// </summary>
public sealed class UserGrainSessionLists(IGrainFactory grains, IOptions<NodeClusterOptions> cluster, TimeProvider time) : ISessionListInvalidation
{
    /// <inheritdoc />
    public async Task ForgetEverywhereAsync(IReadOnlyList<string>? userIds)
    {
        var lifetime = cluster.Value.SessionListLifetime;
        if (lifetime <= TimeSpan.Zero)
        {
            return; // nobody keeps lists
        }
        var began = time.GetTimestamp();
        if (userIds is not null)
        {
            try
            {
                var forgets = new Task[userIds.Count];
                for (var i = 0; i < userIds.Count; i++)
                {
                    forgets[i] = grains.GetGrain<IUserGrain>(userIds[i]).ForgetSessionListAsync();
                }
                await Task.WhenAll(forgets).ConfigureAwait(false);
                return;
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // Unreachable for now (a silo leaving the cluster): the lifetime bounds what it could still use.
            }
        }
        var left = lifetime - time.GetElapsedTime(began);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left, time).ConfigureAwait(false);
        }
    }
}
