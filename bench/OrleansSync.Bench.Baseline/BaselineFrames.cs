using System.Buffers;
using System.Text.Json;

namespace OrleansSync.Bench.Baseline;

/// <summary>The frames the baseline writes, in the node's shapes.</summary>
public static class BaselineFrames
{
    public static byte[] AuthOk(string userId, string sessionId) => Write(writer =>
    {
        writer.WriteString("type"u8, "auth_ok"u8);
        writer.WriteString("user"u8, userId);
        writer.WriteString("session_id"u8, sessionId);
        writer.WriteBoolean("need_full_sync"u8, true);
    });

    /// <summary>The published object's fields plus <c>event_id</c>, built once and shared by every socket.</summary>
    public static byte[] Event(JsonElement published, string eventId) => Write(writer =>
    {
        foreach (var property in published.EnumerateObject())
        {
            property.WriteTo(writer);
        }
        writer.WriteString("event_id"u8, eventId);
    });

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
