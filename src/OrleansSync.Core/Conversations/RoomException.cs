namespace OrleansSync.Conversations;

/// <summary>A room request refused by policy; <see cref="Kind"/> maps to an HTTP status.</summary>
public sealed class RoomException(RoomErrorKind kind, string code, string message) : Exception(message)
{
    /// <summary>What kind of refusal.</summary>
    public RoomErrorKind Kind { get; } = kind;

    /// <summary>Stable machine-readable code.</summary>
    public string Code { get; } = code;
}

/// <summary>Kinds of refusal.</summary>
public enum RoomErrorKind
{
    /// <summary>The request is malformed (400).</summary>
    Invalid,

    /// <summary>Authentication is required or insufficient (401).</summary>
    Unauthorized,

    /// <summary>Authenticated, but not allowed (403).</summary>
    Forbidden,

    /// <summary>The target does not exist (404).</summary>
    NotFound,
}
