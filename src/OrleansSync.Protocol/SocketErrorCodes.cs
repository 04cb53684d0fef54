namespace OrleansSync.Protocol;

/// <summary>
/// The codes of refused socket frames. The first five travel in an error frame (<see cref="ServerFrames.Error"/>)
/// and the socket stays open; the next five name a refusal that closes the socket (its <see cref="CloseCodes"/> code
/// says so on the wire). All of those label the gateway's rejected-frame log and metric, so the set stays small and
/// fixed. <see cref="Unavailable"/> is the server's failure, not the client's: an error frame, then a close, never
/// counted as a rejected frame.
/// </summary>
public static class SocketErrorCodes
{
    /// <summary>Error frame: not JSON, not one object, or trailing bytes.</summary>
    public const string BadJson = "bad_json";

    /// <summary>Error frame: no string <c>type</c>, or <c>ack</c> without <c>event_id</c>.</summary>
    public const string MissingField = "missing_field";

    /// <summary>Error frame: a <c>type</c> other than <c>auth</c>, <c>ack</c>, <c>ping</c>.</summary>
    public const string UnknownType = "unknown_type";

    /// <summary>Error frame: <c>ack</c> before a successful <c>auth</c>.</summary>
    public const string NotAuthenticated = "not_authenticated";

    /// <summary>Error frame: a second <c>auth</c> on the same socket.</summary>
    public const string AlreadyAuthenticated = "already_authenticated";

    /// <summary>Closes with <see cref="CloseCodes.AuthFailed"/>.</summary>
    public const string AuthFailed = "auth_failed";

    /// <summary>Closes with <see cref="CloseCodes.Flood"/>.</summary>
    public const string Flood = "flood";

    /// <summary>Closes with <see cref="CloseCodes.BinaryFrame"/>.</summary>
    public const string Binary = "binary";

    /// <summary>Closes with <see cref="CloseCodes.TooBig"/>.</summary>
    public const string TooBig = "too_big";

    /// <summary>Closes with <see cref="CloseCodes.SlowConsumer"/>.</summary>
    public const string SlowConsumer = "slow_consumer";

    /// <summary>
    /// Error frame, then a close with <see cref="CloseCodes.TryAgainLater"/>: <c>auth</c> could not open or resume the
    /// session because the server's store cannot write right now.
    /// </summary>
    public const string Unavailable = "unavailable";
}
