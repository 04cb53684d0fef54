namespace OrleansSync.Gateway.Sockets;

/// <summary>
/// WebSocket limits (configuration section <c>Gateway</c>). Named apart from Orleans' <c>GatewayOptions</c>
/// (how a client finds silo gateways) and ASP.NET's <c>WebSocketOptions</c>.
/// </summary>
public sealed class SocketGatewayOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Gateway";

    /// <summary>Largest inbound message; a bigger one closes the socket with 1009. Default 16 KiB.</summary>
    public int MaxFrameBytes { get; set; } = 16 * 1024;

    /// <summary>Frames a socket may have waiting to be written; past it the socket is a slow consumer and is closed (4004). Default 256.</summary>
    public int OutboundBufferFrames { get; set; } = 256;

    /// <summary>
    /// Sustained inbound frames per second per socket; a burst of twice this is allowed. Past it: close 1008. An ack of
    /// an event the socket was sent does not count (the send granted it); acks beyond what it was sent do. Default 100.
    /// </summary>
    public int MaxFramesPerSecond { get; set; } = 100;

    /// <summary>If non-empty, only these <c>Origin</c> values may open a socket (others get 403). Default: any origin.</summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>WebSocket ping interval that keeps idle connections alive through proxies. Default 30 s.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A peer that does not answer a ping within this time is dead (a phone that froze the tab, a network that
    /// vanished): the socket is aborted and its session's retention clock starts. Default 30 s; zero disables.
    /// </summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Accept plain-HTTP <c>/ws</c> upgrades at the connection level, below ASP.NET's request pipeline: an idle
    /// socket then costs about half the memory (no request, header or context objects kept for its lifetime).
    /// Default true; false sends every upgrade through the ASP.NET endpoint.
    /// </summary>
    public bool DirectUpgrade { get; set; } = true;

    /// <summary>True if a socket from <paramref name="origin"/> may open (no list, or no Origin header, allows it).</summary>
    public bool AllowsOrigin(string? origin) =>
        AllowedOrigins.Length == 0 || string.IsNullOrEmpty(origin) || AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase);
}
