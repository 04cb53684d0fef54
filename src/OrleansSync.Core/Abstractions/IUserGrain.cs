using Orleans.Concurrency;

namespace OrleansSync.Delivery;

/// <summary>A user's fan-out point (key: the JWT <c>sub</c>): every publish to the user passes through it, in order.</summary>
public interface IUserGrain : IGrainWithStringKey
{
    /// <summary>
    /// Routes the event to every session of the user, in this grain's turn (so the user's publishes keep their order in
    /// every session), and returns the number of sessions. The copies become durable after the turn: a publisher waits
    /// for that with <see cref="WhenDurableAsync"/>, while the next publish is already being routed.
    /// </summary>
    Task<int> FanOutAsync(string eventId, Immutable<byte[]> frame);

    /// <summary>
    /// Drops the session list this grain keeps, and keeps none read before this call: the next publish reads the list
    /// from the store. Interleaves, so a session's resume never waits for a publish in progress.
    /// </summary>
    [AlwaysInterleave]
    Task ForgetSessionListAsync();

    /// <summary>Completes when every copy of <paramref name="eventId"/> routed by <see cref="FanOutAsync"/> is durable (or acked).</summary>
    [AlwaysInterleave]
    Task WhenDurableAsync(string eventId);
}
