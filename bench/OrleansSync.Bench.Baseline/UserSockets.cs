using System.Collections.Concurrent;

namespace OrleansSync.Bench.Baseline;

/// <summary>Which sockets each user has open right now; nothing else is remembered.</summary>
public sealed class UserSockets
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<BaselineSocket, byte>> _byUser = new(StringComparer.Ordinal);

    public void Add(string userId, BaselineSocket socket) =>
        _byUser.GetOrAdd(userId, static _ => new ConcurrentDictionary<BaselineSocket, byte>())[socket] = 0;

    public void Remove(string userId, BaselineSocket socket)
    {
        if (_byUser.TryGetValue(userId, out var sockets))
        {
            sockets.TryRemove(socket, out _);
        }
    }

    /// <summary>Hands the frame to every open socket of the user; returns how many took it.</summary>
    public int FanOut(string userId, byte[] frame)
    {
        if (!_byUser.TryGetValue(userId, out var sockets))
        {
            return 0;
        }
        var count = 0;
        foreach (var socket in sockets.Keys)
        {
            if (socket.TrySend(frame))
            {
                count++;
            }
        }
        return count;
    }
}
