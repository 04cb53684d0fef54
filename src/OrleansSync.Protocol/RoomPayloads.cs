using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace OrleansSync.Protocol;

/// <summary>
/// Builds room payload frames <c>{"churchId","conversationId","action","data"}</c>, once per broadcast: one copy
/// for anonymous sockets and one with <c>event_id</c> for sockets whose session queue carries it reliably.
/// </summary>
public static class RoomPayloads
{
    /// <summary>The two frames of one broadcast.</summary>
    public static (byte[] Anonymous, byte[] Reliable) Build<T>(string churchId, string conversationId, string action, T data,
        JsonTypeInfo<T> dataType, string eventId)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("churchId"u8, churchId);
            writer.WriteString("conversationId"u8, conversationId);
            writer.WriteString("action"u8, action);
            writer.WritePropertyName("data"u8);
            JsonSerializer.Serialize(writer, data, dataType);
            writer.Flush();
            var anonymousLength = buffer.WrittenCount;
            writer.WriteString("event_id"u8, eventId);
            writer.WriteEndObject();
            writer.Flush();
            var written = buffer.WrittenSpan;
            // The anonymous frame is the same bytes up to "data" plus the closing brace.
            var anonymous = new byte[anonymousLength + 1];
            written[..anonymousLength].CopyTo(anonymous);
            anonymous[^1] = (byte)'}';
            return (anonymous, written.ToArray());
        }
    }
}
