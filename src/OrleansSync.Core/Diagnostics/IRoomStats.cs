namespace OrleansSync.Diagnostics;

/// <summary>What the dashboard asks of rooms: the busiest ones by viewer count, across the cluster (from the store).</summary>
public interface IRoomStats
{
    /// <summary>Up to <paramref name="max"/> rooms, most viewers first (alerts rooms are private and not listed).</summary>
    Task<IReadOnlyList<RoomViewers>> BusiestRoomsAsync(int max, CancellationToken cancellationToken = default);
}

/// <summary>A room and how many viewers (connection rows) it has.</summary>
public readonly record struct RoomViewers(string ChurchId, string ConversationId, int Viewers);
