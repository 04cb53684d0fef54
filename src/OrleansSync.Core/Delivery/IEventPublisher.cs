using System.Text.Json;
using OrleansSync.Protocol;

namespace OrleansSync.Delivery;

/// <summary>Publishes events to users, in process (the HTTP publish API is a thin layer over it).</summary>
public interface IEventPublisher
{
    /// <summary>
    /// Enqueues <paramref name="evt"/> for every session of <paramref name="userId"/>; completes when it is durable.
    /// Throws <see cref="InvalidEventException"/> if the event is not an object with a string <c>type</c>, carries its
    /// own <c>event_id</c>, or its JSON text is over <see cref="EventFrame.MaxEventBytes"/> UTF-8 bytes.
    /// </summary>
    Task<PublishResult> PublishToUserAsync(string userId, JsonElement evt, CancellationToken cancellationToken = default);
}

/// <summary>The id given to a published event and the number of sessions it was enqueued for.</summary>
public readonly record struct PublishResult(string EventId, int Sessions);
