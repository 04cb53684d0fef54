using Orleans.Concurrency;

namespace OrleansSync.Storage;

/// <summary>
/// A session the store deleted to keep its user within <see cref="Delivery.DeliveryOptions.MaxSessionsPerUser"/>, and
/// the node whose socket was attached to it (null: it was detached), which must close that socket.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansSync.RemovedSession")]
public sealed record RemovedSession(string SessionId, string? OwnerNode);
