using System.Collections.Concurrent;

namespace OrleansSync.Delivery;

/// <summary>
/// The user grains active in this silo, for publishes made in this process: one whose user's grain is here and idle
/// fans out on the publishing request's own thread (<see cref="UserGrain.TryFanOutNow"/>) instead of through two grain
/// calls. Empty on a gateway-only node (no silo) and for users whose grain Orleans placed on another silo.
/// </summary>
public sealed class ActiveUsers
{
    private readonly ConcurrentDictionary<string, UserGrain> _users = new(StringComparer.Ordinal);

    /// <summary>The grain object of a user active in this silo.</summary>
    public bool TryGetGrain(string userId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out UserGrain? grain) =>
        _users.TryGetValue(userId, out grain);

    internal void Add(string userId, UserGrain grain) => _users[userId] = grain;

    internal void Remove(string userId, UserGrain grain) => _users.TryRemove(new KeyValuePair<string, UserGrain>(userId, grain));
}
