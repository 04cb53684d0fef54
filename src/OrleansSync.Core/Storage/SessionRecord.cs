namespace OrleansSync.Storage;

/// <summary>The durable row of a session.</summary>
/// <param name="SessionId">Opaque id the tab keeps and sends back on <c>auth</c>.</param>
/// <param name="UserId">The <c>sub</c> claim that owns the session; never resumed by another user.</param>
/// <param name="NeedFullSync">Reported (then cleared) at the next <c>auth_ok</c>.</param>
/// <param name="RetentionDeadline">
/// Set when the socket is lost: queued events are kept until then. Null while a socket is attached,
/// and after the queue was dropped (the flag is then set).
/// </param>
/// <param name="OwnerNode">The node whose socket is attached to the session; null while detached.</param>
/// <param name="Epoch">Bumped by every claim; writes of an older epoch are refused (fencing).</param>
/// <param name="DetachedAt">
/// When the session last lost its socket (or was created, before its first claim); null while attached. The session is
/// deleted <see cref="Delivery.DeliveryOptions.SessionLifetime"/> after it, and the user's oldest detached sessions go
/// first when the user has too many.
/// </param>
public sealed record SessionRecord(string SessionId, string UserId, bool NeedFullSync, DateTimeOffset? RetentionDeadline,
    string? OwnerNode = null, long Epoch = 0, DateTimeOffset? DetachedAt = null);
