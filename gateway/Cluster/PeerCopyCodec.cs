using System.Buffers.Binary;
using System.Text;

namespace OrleansSync.Gateway.Cluster;

/// <summary>One event copy for one session, as nodes hand them to each other.</summary>
public readonly record struct PeerCopy(string SessionId, string EventId, byte[] Frame);

/// <summary>
/// A batch of copies on the <c>/internal/copies</c> socket (after its 4-byte id): copies one after another, each as a 2-byte session id length and the
/// session id (UTF-8), a 2-byte event id length and the event id, a 4-byte frame length and the frame (lengths big
/// endian). The answer holds one byte per copy, in order: 1 taken (durable at the owner), 0 not taken.
/// A plain length-prefixed format: the frames are already encoded JSON, and nothing else needs describing.
/// </summary>
public static class PeerCopyCodec
{
    /// <summary>Largest frame accepted in a copy (an event's frame stays under 512 KiB, see <c>EventFrame.MaxEventBytes</c>).</summary>
    public const int MaxFrameBytes = 1 << 20;

    /// <summary>Largest body accepted (many copies travel together under load).</summary>
    public const int MaxBodyBytes = 16 << 20;

    /// <summary>Encoded size of one copy.</summary>
    public static int SizeOf(in PeerCopy copy) =>
        2 + Encoding.UTF8.GetByteCount(copy.SessionId) + 2 + Encoding.UTF8.GetByteCount(copy.EventId) + 4 + copy.Frame.Length;

    /// <summary>Encodes <paramref name="copies"/> into one body, after <paramref name="headerBytes"/> left free for the caller.</summary>
    public static byte[] Encode(IReadOnlyList<PeerCopy> copies, int headerBytes = 0)
    {
        var size = headerBytes;
        foreach (var copy in copies)
        {
            size += SizeOf(copy);
        }
        var body = new byte[size];
        var at = headerBytes;
        foreach (var copy in copies)
        {
            at = WriteCopy(body, at, copy.SessionId, copy.EventId, copy.Frame);
        }
        return body;
    }

    /// <summary>Encodes the copies of <paramref name="groups"/> (<paramref name="size"/>: their encoded size), after <paramref name="headerBytes"/>.</summary>
    internal static byte[] Encode(IReadOnlyList<PeerCopyGroup> groups, int size, int headerBytes)
    {
        var body = new byte[headerBytes + size];
        var at = headerBytes;
        foreach (var group in groups)
        {
            foreach (var sessionId in group.SessionIds)
            {
                at = WriteCopy(body, at, sessionId, group.EventId, group.Frame);
            }
        }
        return body;
    }

    /// <summary>Decodes a body; throws <see cref="FormatException"/> (with what is wrong) on anything malformed.</summary>
    public static List<PeerCopy> Decode(ReadOnlySpan<byte> body)
    {
        var copies = new List<PeerCopy>();
        var at = 0;
        while (at < body.Length)
        {
            var sessionId = ReadString(body, ref at, "session id");
            var eventId = ReadString(body, ref at, "event id");
            if (body.Length - at < 4)
            {
                throw new FormatException($"copy {copies.Count}: the frame length is cut off");
            }
            var frameLength = BinaryPrimitives.ReadInt32BigEndian(body[at..]);
            at += 4;
            if (frameLength <= 0 || frameLength > MaxFrameBytes || frameLength > body.Length - at)
            {
                throw new FormatException($"copy {copies.Count}: frame length {frameLength} is empty, too large or beyond the body");
            }
            copies.Add(new PeerCopy(sessionId, eventId, body.Slice(at, frameLength).ToArray()));
            at += frameLength;
        }
        return copies;
    }

    private static int WriteCopy(byte[] body, int at, string sessionId, string eventId, byte[] frame)
    {
        at = WriteString(body, at, sessionId);
        at = WriteString(body, at, eventId);
        BinaryPrimitives.WriteInt32BigEndian(body.AsSpan(at), frame.Length);
        frame.CopyTo(body, at + 4);
        return at + 4 + frame.Length;
    }

    private static int WriteString(byte[] body, int at, string value)
    {
        var length = Encoding.UTF8.GetBytes(value, body.AsSpan(at + 2));
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(at), checked((ushort)length));
        return at + 2 + length;
    }

    private static string ReadString(ReadOnlySpan<byte> body, ref int at, string what)
    {
        if (body.Length - at < 2)
        {
            throw new FormatException($"the {what} length is cut off at byte {at}");
        }
        var length = BinaryPrimitives.ReadUInt16BigEndian(body[at..]);
        at += 2;
        if (length == 0 || length > body.Length - at)
        {
            throw new FormatException($"the {what} at byte {at} is empty or beyond the body");
        }
        var value = Encoding.UTF8.GetString(body.Slice(at, length));
        at += length;
        return value;
    }
}
