using Orleans.Concurrency;

namespace OrleansSync.Delivery;

/// <summary>
/// The gateway process, as grains see it: one observer per gateway, frames addressed by socket id. Pushes are one-way
/// and may be lost (a socket that closed meanwhile, a gateway that died): correctness rests on acks, re-sends and
/// replay, never on one push arriving. Orleans runs the observer's calls one at a time in arrival order, but arrival
/// order is not send order for a gateway that is an Orleans client (a silo addresses each message to a client
/// asynchronously): so pushes carry their order (see <see cref="Send"/>). A grain in the gateway's own process calls
/// the gateway object directly (<see cref="LocalGateway"/>): its calls for one socket come in its turns' order, calls
/// for different sockets may run at once.
/// </summary>
public interface IGatewayObserver : IGrainObserver
{
    /// <summary>
    /// The session is attached: the gateway answers <c>auth_ok</c> before any frame that follows. A call, not a one-way
    /// push: the session waits for it before its replay (see <see cref="SessionGrain"/>'s attach).
    /// </summary>
    Task SessionOpened(string socketId, SessionOpened opened);

    /// <summary>
    /// Queues a UTF-8 text frame for the socket. <paramref name="order"/> counts the session's pushes since its
    /// <see cref="SessionOpened"/> (0, 1, 2, …): Orleans may deliver one-way calls to a gateway that is an Orleans client
    /// out of order, and the gateway puts them back in order before the socket. A socket whose outbound buffer is full
    /// is closed by the gateway (slow consumer); its session keeps its queue.
    /// </summary>
    [OneWay]
    Task Send(string socketId, long order, Immutable<byte[]> utf8Frame);

    /// <summary>Closes the socket for <paramref name="reason"/>.</summary>
    [OneWay]
    Task Close(string socketId, SessionCloseReason reason);
}

/// <summary>
/// Where a session's socket is: its gateway's observer, the socket's id there, and the node that holds it. The node
/// is what the store records as the session's owner (whose death starts the session's retention clock), wherever in
/// the cluster the session's grain runs.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansSync.SocketLink")]
public sealed record SocketLink([property: Id(0)] IGatewayObserver Gateway, [property: Id(1)] string SocketId, [property: Id(2)] string NodeId);
