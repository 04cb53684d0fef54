using System.Security.Cryptography;

namespace OrleansSync.Delivery;

/// <summary>
/// Id formats: 32 lowercase hex characters. Event ids are time-ordered (UUIDv7) so logs sort naturally; they
/// prove nothing. Socket and session ids are bearer secrets (whoever names a socket id may rename it or take it
/// out of a room), so they are 128 bits straight from the OS generator rather than a v4 GUID's 122.
/// </summary>
public static class Ids
{
    private const int SecretHexLength = 32; // 128 bits

    /// <summary>A new event id.</summary>
    public static string NewEventId() => Guid.CreateVersion7().ToString("N");

    /// <summary>A new random session id (128 random bits).</summary>
    public static string NewSessionId() => NewSecret();

    /// <summary>A new random socket id (128 random bits).</summary>
    public static string NewSocketId() => NewSecret();

    /// <summary>Longest session id a client may send back (anything longer cannot be ours).</summary>
    public const int MaxSessionIdLength = 64;

    private static string NewSecret() => RandomNumberGenerator.GetHexString(SecretHexLength, lowercase: true);
}
