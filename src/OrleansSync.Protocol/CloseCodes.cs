using System.Net.WebSockets;

namespace OrleansSync.Protocol;

/// <summary>
/// The WebSocket close codes the server sends, each with what a client should do about it.
/// <list type="bullet">
/// <item>1000–2999: RFC 6455 codes (and IANA's registry of them). 1001 and 1013 mean reconnect (a node is stopping; the
/// server cannot serve the socket right now); 1003, 1008 and 1009 are terminal: the client broke a socket rule, and
/// reconnecting helps only a client that stops breaking it.</item>
/// <item>4000–4099: this protocol. 4000 is the browser client's own (it drops a socket it believes dead); the server
/// sends 4001–4005. 4001 is terminal for its token; 4002–4005 mean reconnect.</item>
/// <item>4100–4999: unassigned. A client that meets one (a newer server) reconnects with backoff.</item>
/// </list>
/// The numbers are fixed (clients depend on them), and a test holds <c>clients/js/orleanssync.js</c> to them.
/// </summary>
public static class CloseCodes
{
    /// <summary>Reconnect (to another node if there is one): the node is shutting down (1001).</summary>
    public const WebSocketCloseStatus ServerStopping = WebSocketCloseStatus.EndpointUnavailable;

    /// <summary>
    /// Reconnect with backoff: the server could not open or resume the session (its store cannot write, e.g. read-only
    /// or full); an <c>unavailable</c> error frame came first. The session is untouched: a later resume finds it (1013,
    /// "Try Again Later").
    /// </summary>
    public const WebSocketCloseStatus TryAgainLater = (WebSocketCloseStatus)1013;

    /// <summary>Terminal: a binary frame was received; the protocol is text only (1003).</summary>
    public const WebSocketCloseStatus BinaryFrame = WebSocketCloseStatus.InvalidMessageType;

    /// <summary>Terminal: too many frames per second (1008).</summary>
    public const WebSocketCloseStatus Flood = WebSocketCloseStatus.PolicyViolation;

    /// <summary>Terminal: an inbound message over the gateway's frame limit (1009).</summary>
    public const WebSocketCloseStatus TooBig = WebSocketCloseStatus.MessageTooBig;

    /// <summary>Terminal for this token: <c>auth</c> refused a bad, expired or unsigned token; retry only with a new one (4001).</summary>
    public const WebSocketCloseStatus AuthFailed = (WebSocketCloseStatus)4001;

    /// <summary>
    /// Reconnect with a new session: another socket resumed this session, and the newer socket keeps it, or the session
    /// was deleted as its user's oldest over the per-user bound (4002).
    /// </summary>
    public const WebSocketCloseStatus SessionReplaced = (WebSocketCloseStatus)4002;

    /// <summary>Reconnect: an event stayed unacked through every re-send and the session was deleted, so the next <c>auth_ok</c> says <c>need_full_sync</c> (4003).</summary>
    public const WebSocketCloseStatus MaxAttempts = (WebSocketCloseStatus)4003;

    /// <summary>Reconnect and resume: the socket read too slowly; its session keeps its queue for replay (4004).</summary>
    public const WebSocketCloseStatus SlowConsumer = (WebSocketCloseStatus)4004;

    /// <summary>Reconnect: the session's queue overflowed and was dropped; the next <c>auth_ok</c> says <c>need_full_sync</c> (4005).</summary>
    public const WebSocketCloseStatus QueueOverflow = (WebSocketCloseStatus)4005;
}
