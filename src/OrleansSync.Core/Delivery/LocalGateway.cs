namespace OrleansSync.Delivery;

/// <summary>
/// The gateway of this process, for the session grains that run beside its sockets. A call through an observer
/// reference is an Orleans message even when the observer lives in the same process (a message object, a work item,
/// the observer's queue); a session grain placed beside its socket (the usual case, <c>[PreferLocalPlacement]</c>)
/// makes one such call per frame, so here it calls the gateway object directly instead. Sockets on other processes
/// (a separate gateway, a tab whose grain runs on another silo) are still reached through the reference.
/// </summary>
/// <remarks>
/// Direct calls come from grain turns, so one session's calls stay in its send order, but calls for different
/// sockets run at once: the gateway's methods are safe for that (each socket guards its own outbound queue).
/// </remarks>
public sealed class LocalGateway
{
    private volatile Registration? _registration;

    /// <summary>Set once by the gateway when it makes its observer reference, before any link names it.</summary>
    public void Register(IGatewayObserver gateway, IGatewayObserver reference) => _registration = new Registration(gateway, reference);

    /// <summary>The gateway object itself if <paramref name="link"/> names this process's gateway, else the link's reference.</summary>
    public IGatewayObserver Reach(SocketLink link) => IsHere(link) ? _registration!.Gateway : link.Gateway;

    /// <summary>Whether <paramref name="link"/> names this process's gateway (so <see cref="Reach"/> gives the object itself).</summary>
    public bool IsHere(SocketLink link) => _registration is { } local && link.Gateway.Equals(local.Reference);

    private sealed record Registration(IGatewayObserver Gateway, IGatewayObserver Reference);
}
