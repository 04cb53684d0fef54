namespace OrleansSync.Conversations;

/// <summary>Bounds on room input (configuration section <c>Rooms</c>).</summary>
public sealed class RoomLimits
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Rooms";

    /// <summary>Longest message content, in characters. Default 4000.</summary>
    public int MaxContentLength { get; set; } = 4000;

    /// <summary>Longest display name, title or id, in characters. Default 200.</summary>
    public int MaxNameLength { get; set; } = 200;

    /// <summary>Most items in one REST array body. Default 50.</summary>
    public int MaxItemsPerRequest { get; set; } = 50;

    /// <summary>Messages returned by history and catch-up. Default 200 (the newest).</summary>
    public int HistoryLimit { get; set; } = 200;
}
