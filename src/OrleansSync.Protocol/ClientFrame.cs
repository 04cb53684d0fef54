using System.Text.Json;

namespace OrleansSync.Protocol;

/// <summary>An inbound JSON frame, reduced to the fields the protocol reads.</summary>
public readonly record struct ClientFrame(string? Type, string? Token, string? SessionId, string? EventId)
{
    /// <summary>
    /// Reads the top-level string fields <c>type</c>, <c>token</c>, <c>session_id</c>, <c>event_id</c>
    /// without building a document. False (with a reason) if the bytes are not a JSON object.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out ClientFrame frame, out string? error)
    {
        frame = default;
        error = null;
        string? type = null, token = null, sessionId = null, eventId = null;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "frame must be a JSON object";
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("type"u8);
                var isToken = !isType && reader.ValueTextEquals("token"u8);
                var isSession = !isType && !isToken && reader.ValueTextEquals("session_id"u8);
                var isEvent = !isType && !isToken && !isSession && reader.ValueTextEquals("event_id"u8);
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    if (isType) type = reader.GetString();
                    else if (isToken) token = reader.GetString();
                    else if (isSession) sessionId = reader.GetString();
                    else if (isEvent) eventId = reader.GetString();
                }
                else
                {
                    reader.Skip();
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                error = "frame must be exactly one JSON object";
                return false;
            }
        }
        catch (JsonException exception)
        {
            error = "malformed JSON: " + exception.Message;
            return false;
        }
        catch (InvalidOperationException)
        {
            error = InvalidJsonText.Message;
            return false;
        }
        frame = new ClientFrame(type, token, sessionId, eventId);
        return true;
    }
}
