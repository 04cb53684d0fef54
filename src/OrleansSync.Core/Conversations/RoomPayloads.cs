using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Orleans.Concurrency;

namespace OrleansSync.Conversations;

/// <summary>Data of an <c>attendance</c> payload.</summary>
public sealed record Attendance(string ConversationId, IReadOnlyList<Viewer> Viewers, int TotalViewers);

/// <summary>One viewer in <see cref="Attendance"/>: the connection row's id and display name.</summary>
public sealed record Viewer(string Id, string DisplayName);

/// <summary>Data of a <c>deleteMessage</c> payload.</summary>
public sealed record DeletedMessage(string Id);

/// <summary>Data of a <c>reaction</c> payload.</summary>
[GenerateSerializer, Immutable, Alias("OrleansSync.Reaction")]
public sealed record Reaction(string MessageId, string ConversationId, string PersonId, string Emoji, bool Added);

/// <summary>Data of <c>notification</c> and <c>privateMessage</c> payloads.</summary>
public sealed record AlertData(NotificationCounts Counts, PrivateMessage? PrivateMessage = null);

/// <summary>Source-generated camelCase JSON for every ChurchApps shape (no reflection on the fan-out path).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(Conversation))]
[JsonSerializable(typeof(ChatMessage))]
[JsonSerializable(typeof(RoomConnection))]
[JsonSerializable(typeof(Attendance))]
[JsonSerializable(typeof(DeletedMessage))]
[JsonSerializable(typeof(Reaction))]
[JsonSerializable(typeof(AlertData))]
[JsonSerializable(typeof(NotificationCounts))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(List<JoinRequest>))]
[JsonSerializable(typeof(List<CreateConversationRequest>))]
[JsonSerializable(typeof(List<PostMessageRequest>))]
[JsonSerializable(typeof(PrivateMessageRequest))]
[JsonSerializable(typeof(IReadOnlyList<RoomConnection>))]
[JsonSerializable(typeof(IReadOnlyList<Conversation>))]
[JsonSerializable(typeof(IReadOnlyList<ChatMessage>))]
[JsonSerializable(typeof(PrivateMessage))]
public sealed partial class ChurchAppsJson : JsonSerializerContext;

/// <summary>
/// Builds room payload frames <c>{"churchId","conversationId","action","data"}</c>, once per broadcast: one copy
/// for anonymous sockets and one with <c>event_id</c> for sockets whose session queue carries it reliably.
/// </summary>
public static class RoomPayloads
{
    /// <summary>The two frames of one broadcast.</summary>
    public static (byte[] Anonymous, byte[] Reliable) Build<T>(RoomKey room, string action, T data,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> dataType, string eventId)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("churchId"u8, room.ChurchId);
            writer.WriteString("conversationId"u8, room.ConversationId);
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
