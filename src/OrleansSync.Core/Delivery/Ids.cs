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

    /// <summary>
    /// What logs show of a socket id: its first 8 characters. Logs reach the dashboard (open to anyone on a
    /// Development node), and a whole socket id would let its reader rename the socket or take it out of its rooms;
    /// the 96 bits left out keep it unguessable, while the tag still finds the socket's lines.
    /// </summary>
    public static string LogTag(string secretId) => secretId.Length <= LogTagLength ? secretId : secretId[..LogTagLength] + "…";

    private const int LogTagLength = 8;

    private static string NewSecret() => RandomNumberGenerator.GetHexString(SecretHexLength, lowercase: true);
}
