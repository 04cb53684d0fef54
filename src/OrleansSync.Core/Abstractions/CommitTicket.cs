using Orleans.Concurrency;

namespace OrleansSync.Delivery;

/// <summary>
/// Names the caller of an enqueue for <see cref="CommitHandoff"/>: the handoff of the caller's silo and a number unique in
/// it. The default ticket names no handoff: the grain answers only once the event is durable.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansSync.CommitTicket")]
public readonly record struct CommitTicket([property: Id(0)] Guid Scope, [property: Id(1)] long Number);
