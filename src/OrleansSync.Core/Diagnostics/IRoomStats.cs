namespace OrleansSync.Diagnostics;

/// <summary>
/// What the dashboard asks of rooms: the busiest ones by viewer count. Rooms register their implementation;
/// until then <see cref="NoRoomStats"/> answers with nothing.
/// </summary>
public interface IRoomStats
{
    /// <summary>Up to <paramref name="max"/> rooms, most viewers first.</summary>
    IReadOnlyList<RoomViewers> BusiestRooms(int max);
}

/// <summary>A room and how many viewers it has on this node's view of the cluster.</summary>
public readonly record struct RoomViewers(string ChurchId, string ConversationId, int Viewers);

/// <summary>Default <see cref="IRoomStats"/> of a node without rooms.</summary>
public sealed class NoRoomStats : IRoomStats
{
    /// <inheritdoc />
    public IReadOnlyList<RoomViewers> BusiestRooms(int max) => [];
}
