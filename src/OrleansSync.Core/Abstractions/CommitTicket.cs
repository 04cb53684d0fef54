using Orleans.Concurrency;

namespace OrleansSync.Delivery;

/// <summary>
/// Names the caller of a one-way enqueue for <see cref="LocalEnqueues"/>: the caller's silo (a process-unique scope) and
/// a number unique in it.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansSync.CommitTicket")]
public readonly record struct CommitTicket([property: Id(0)] Guid Scope, [property: Id(1)] long Number);
