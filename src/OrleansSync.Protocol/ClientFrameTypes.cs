namespace OrleansSync.Protocol;

/// <summary>The <c>type</c> values of client JSON frames, and the one frame that is not JSON.</summary>
public static class ClientFrameTypes
{
    /// <summary>Opens or resumes a reliable session.</summary>
    public const string Auth = "auth";

    /// <summary>Acknowledges an event.</summary>
    public const string Ack = "ack";

    /// <summary>Asks for a <c>pong</c>.</summary>
    public const string Ping = "ping";

    /// <summary>The ChurchApps literal text frame that asks for the socket's id (not JSON).</summary>
    public static ReadOnlySpan<byte> GetIdText => "getId"u8;
}
