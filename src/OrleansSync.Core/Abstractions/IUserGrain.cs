using Orleans.Concurrency;

namespace OrleansSync.Delivery;

/// <summary>A user's fan-out point (key: the JWT <c>sub</c>): every publish to the user passes through it, in order.</summary>
public interface IUserGrain : IGrainWithStringKey
{
    /// <summary>
    /// Routes the event to every session of the user; completes when every copy is durable (or acked), with the
    /// number of sessions.
    /// </summary>
    Task<int> FanOutAsync(string eventId, Immutable<byte[]> frame);
}
