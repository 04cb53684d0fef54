namespace OrleansSync.Delivery;

/// <summary>Id formats: 32 hex characters; event ids are time-ordered (UUIDv7) so logs sort naturally.</summary>
public static class Ids
{
    /// <summary>A new event id.</summary>
    public static string NewEventId() => Guid.CreateVersion7().ToString("N");

    /// <summary>A new random session id.</summary>
    public static string NewSessionId() => Guid.NewGuid().ToString("N");

    /// <summary>A new random socket id.</summary>
    public static string NewSocketId() => Guid.NewGuid().ToString("N");

    /// <summary>Longest session id a client may send back (anything longer cannot be ours).</summary>
    public const int MaxSessionIdLength = 64;
}
