using System.Text.Json;
using OrleansSync.Runtime;

namespace OrleansSync.Delivery;

/// <summary>Default <see cref="IEventPublisher"/>: builds the frame once and fans it out through the user's grain.</summary>
public sealed class EventPublisher(GrainFactory grains) : IEventPublisher
{
    /// <inheritdoc />
    public async Task<PublishResult> PublishToUserAsync(string userId, JsonElement evt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        var eventId = Ids.NewEventId();
        var frame = EventFrame.Build(evt, eventId);
        var fanOut = await grains.Users.CallAsync(userId, (eventId, frame),
            static (user, e) => user.FanOutAsync(e.eventId, e.frame), cancellationToken).ConfigureAwait(false);
        await fanOut.Durable.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new PublishResult(eventId, fanOut.Sessions);
    }
}
