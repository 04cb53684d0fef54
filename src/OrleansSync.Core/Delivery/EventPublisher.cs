using System.Text.Json;
using Orleans.Concurrency;
using OrleansSync.Cluster;
using OrleansSync.Protocol;

namespace OrleansSync.Delivery;

/// <summary>
/// Default <see cref="IEventPublisher"/>: builds the frame once and fans it out through the user's grain. If the silo of
/// the user's grain dies during the publish, the publish is made again, same event id, on the grain's next activation
/// (<see cref="SiloFailover"/>): a tab that already got the first copy drops the second by its id. A user's grain active
/// in this silo and idle routes the publish on this thread instead (<see cref="UserGrain.TryFanOutNow"/>).
/// </summary>
public sealed class EventPublisher(IGrainFactory grains, ActiveUsers activeUsers, TimeProvider time) : IEventPublisher
{
    /// <inheritdoc />
    public async Task<PublishResult> PublishToUserAsync(string userId, JsonElement evt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        var eventId = Ids.NewEventId();
        var frame = EventFrame.Build(evt, eventId);
        // Answered only once every copy is durable; a caller that stops waiting leaves the publish to finish.
        if (activeUsers.TryGetGrain(userId, out var here) && here.TryFanOutNow(eventId, frame, out var count, out var durable))
        {
            await durable.WaitAsync(cancellationToken).ConfigureAwait(false);
            return new PublishResult(eventId, count);
        }
        var user = grains.GetGrain<IUserGrain>(userId);
        var sessions = await SiloFailover.RetryRejectedAsync(async () =>
        {
            var sessions = await user.FanOutAsync(eventId, new Immutable<byte[]>(frame)).WaitAsync(cancellationToken).ConfigureAwait(false);
            await user.WhenDurableAsync(eventId).WaitAsync(cancellationToken).ConfigureAwait(false);
            return sessions;
        }, time, cancellationToken).ConfigureAwait(false);
        return new PublishResult(eventId, sessions);
    }
}
