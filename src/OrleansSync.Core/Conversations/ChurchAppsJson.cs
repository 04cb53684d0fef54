using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansSync.Conversations;

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
