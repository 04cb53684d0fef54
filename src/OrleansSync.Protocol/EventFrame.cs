using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace OrleansSync.Protocol;

/// <summary>
/// Builds the wire frame of a published event: the event object's own fields, flattened,
/// plus <c>event_id</c>. Built once per publish and shared (same bytes) by every session.
/// </summary>
public static class EventFrame
{
    /// <summary>
    /// Largest published event accepted: its JSON text as the application sent it, in UTF-8 bytes (over HTTP, the
    /// request body). The frame may be larger: it adds <c>event_id</c>, and the writer escapes what JSON must or
    /// HTML-sensitive and non-ASCII characters (a character can take up to 6 bytes there), so frames stay under 512 KiB.
    /// </summary>
    public const int MaxEventBytes = 64 * 1024;

    /// <summary>
    /// Checks that <paramref name="evt"/> is an object with a string <c>type</c> and no <c>event_id</c>
    /// of its own, and returns its frame. Throws <see cref="InvalidEventException"/> otherwise.
    /// </summary>
    public static byte[] Build(JsonElement evt, string eventId)
    {
        if (evt.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidEventException("The event must be a JSON object.");
        }
        // The limit is the application's text, not the frame: what the server adds never refuses an event.
        if (JsonMarshal.GetRawUtf8Value(evt).Length > MaxEventBytes)
        {
            throw new InvalidEventException($"The event is larger than {MaxEventBytes} bytes.");
        }
        var buffer = new ArrayBufferWriter<byte>(256);
        try
        {
            if (!evt.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() is not { Length: > 0 })
            {
                throw new InvalidEventException("The event must have a non-empty string field \"type\".");
            }
            if (evt.TryGetProperty("event_id", out _))
            {
                throw new InvalidEventException("\"event_id\" is assigned by the server; the event must not carry one.");
            }
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                foreach (var property in evt.EnumerateObject())
                {
                    property.WriteTo(writer);
                }
                writer.WriteString("event_id"u8, eventId);
                writer.WriteEndObject();
            }
        }
        catch (Exception exception) when (exception is InvalidOperationException or ArgumentException)
        {
            throw new InvalidEventException("The event is not valid JSON text: " + InvalidJsonText.Message + ".");
        }
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>A published event that cannot be delivered as given.</summary>
public sealed class InvalidEventException(string message) : Exception(message);
