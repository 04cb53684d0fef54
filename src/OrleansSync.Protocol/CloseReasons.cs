namespace OrleansSync.Protocol;

/// <summary>The reason texts sent with <see cref="CloseCodes"/>: short and machine-readable first, as clients log them.</summary>
public static class CloseReasons
{
    /// <summary>With <see cref="CloseCodes.ServerStopping"/>.</summary>
    public const string ServerStopping = "server_stopping";

    /// <summary>With <see cref="CloseCodes.ServerStopping"/>: the session's grain was lost with its silo; resume to carry on.</summary>
    public const string SessionMoved = "session_moved";

    /// <summary>With <see cref="CloseCodes.BinaryFrame"/>.</summary>
    public const string BinaryFrame = "binary frames are not supported";

    /// <summary>With <see cref="CloseCodes.Flood"/>.</summary>
    public const string Flood = "flood: too many frames";

    /// <summary>With <see cref="CloseCodes.SessionReplaced"/>.</summary>
    public const string SessionReplaced = "session_replaced";

    /// <summary>With <see cref="CloseCodes.MaxAttempts"/>.</summary>
    public const string MaxAttempts = "max_attempts";

    /// <summary>With <see cref="CloseCodes.SlowConsumer"/>.</summary>
    public const string SlowConsumer = SocketErrorCodes.SlowConsumer;

    /// <summary>With <see cref="CloseCodes.QueueOverflow"/>.</summary>
    public const string QueueOverflow = "queue_overflow";

    /// <summary>With <see cref="CloseCodes.TryAgainLater"/>.</summary>
    public const string TryAgainLater = SocketErrorCodes.Unavailable + ": retry later";

    /// <summary>With a normal closure (1000), when no other reason was given.</summary>
    public const string Closed = "closed";

    /// <summary>With <see cref="CloseCodes.TooBig"/>: names the limit, so a client can tell what to shorten.</summary>
    public static string TooBig(int limitBytes) => $"frame larger than {limitBytes} bytes";

    /// <summary>With <see cref="CloseCodes.AuthFailed"/>: <c>auth_failed: &lt;why&gt;</c>.</summary>
    public static string AuthFailed(string why) => SocketErrorCodes.AuthFailed + ": " + why;
}
