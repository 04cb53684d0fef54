using System.Buffers.Text;

namespace OrleansSync.Bench;

/// <summary>
/// Reads the bench's own fields out of an event frame without a JSON parser. The publisher sends
/// <c>{"type":"bench","seq":N,"t":TICKS}</c>; both servers append <c>"event_id":"…"</c>.
/// </summary>
public static class EventFrameReader
{
    private static ReadOnlySpan<byte> SeqField => "\"seq\":"u8;
    private static ReadOnlySpan<byte> TimeField => "\"t\":"u8;
    private static ReadOnlySpan<byte> EventIdField => "\"event_id\":\""u8;

    /// <summary>False for frames that are not bench events (auth_ok, errors, pongs).</summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, out long seq, out long sentTimestamp, out ReadOnlySpan<byte> eventId)
    {
        seq = 0;
        sentTimestamp = 0;
        eventId = default;
        return TryReadNumber(frame, SeqField, out seq)
            && TryReadNumber(frame, TimeField, out sentTimestamp)
            && TryReadEventId(frame, out eventId);
    }

    /// <summary>FNV-1a, 64 bits, of an event id's bytes: the client keeps this instead of the id, so a delivery allocates nothing.</summary>
    public static long HashEventId(ReadOnlySpan<byte> eventId)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in eventId)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }
        return (long)hash;
    }

    private static bool TryReadNumber(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> field, out long value)
    {
        value = 0;
        var at = frame.IndexOf(field);
        return at >= 0 && Utf8Parser.TryParse(frame[(at + field.Length)..], out value, out _);
    }

    private static bool TryReadEventId(ReadOnlySpan<byte> frame, out ReadOnlySpan<byte> eventId)
    {
        eventId = default;
        var at = frame.IndexOf(EventIdField);
        if (at < 0)
        {
            return false;
        }
        var rest = frame[(at + EventIdField.Length)..];
        var end = rest.IndexOf((byte)'"');
        if (end <= 0)
        {
            return false;
        }
        eventId = rest[..end];
        return true;
    }
}
