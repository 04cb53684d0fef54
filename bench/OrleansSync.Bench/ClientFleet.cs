using System.Collections.Concurrent;
using OrleansSync.Bench.Wire;

namespace OrleansSync.Bench;

/// <summary>
/// Many <see cref="AckingClient"/>s: users u0…u(n-1), each with several sessions, speaking the target's wire
/// protocol (a new <see cref="WireSession"/> per client). With several servers (cluster nodes), a user's sessions
/// are spread over them: session s of user u connects to server (u + s) mod count (or, with
/// <paramref name="placeByUser"/>, all to server u mod count). With <paramref name="reconnects"/> each client replaces a
/// socket that ends by one that resumes its session (<see cref="AckingClient"/>).
/// </summary>
public sealed class ClientFleet(IReadOnlyList<Uri> baseAddresses, Func<WireSession> newSession, BenchTokens tokens, DeliveryStats stats, bool placeByUser = false,
    bool reconnects = false)
{
    private const int ConnectParallelism = 32;
    private readonly ConcurrentBag<AckingClient> _clients = [];

    public int Count => _clients.Count;

    public int OpenCount => _clients.Count(c => c.IsOpen);

    /// <summary>Opens <paramref name="sessionsPerUser"/> authenticated sockets for each user in [firstUser, firstUser+users).</summary>
    public async Task ConnectAsync(int firstUser, int users, int sessionsPerUser, CancellationToken cancellationToken)
    {
        var slots = Enumerable.Range(firstUser, users).SelectMany(user => Enumerable.Range(0, sessionsPerUser).Select(session => (user, session)));
        await Parallel.ForEachAsync(slots, new ParallelOptions { MaxDegreeOfParallelism = ConnectParallelism, CancellationToken = cancellationToken },
            async (slot, token) =>
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(TimeSpan.FromSeconds(30));
                var address = baseAddresses[(placeByUser ? slot.user : slot.user + slot.session) % baseAddresses.Count];
                var client = await AckingClient.ConnectAsync(address, newSession(), tokens.For(BenchUsers.Name(slot.user)), stats, reconnects, timeout.Token).ConfigureAwait(false);
                _clients.Add(client);
            }).ConfigureAwait(false);
    }

    public async Task AbortAllAsync()
    {
        await Parallel.ForEachAsync(_clients, new ParallelOptions { MaxDegreeOfParallelism = 64 },
            async (client, _) => await client.AbortAsync().ConfigureAwait(false)).ConfigureAwait(false);
        _clients.Clear();
    }
}
