using Orleans.Concurrency;

namespace OrleansSync.Conversations;

/// <summary>A chat conversation (a room's durable identity), created by a signed-in user of a church.</summary>
public sealed record Conversation(string Id, string ChurchId, string ContentType, string ContentId, string Title,
    bool AllowAnonymousPosts, DateTimeOffset DateCreated);

/// <summary>A saved chat message. <see cref="PersonId"/> is null for anonymous posts.</summary>
[GenerateSerializer, Immutable, Alias("OrleansSync.ChatMessage")]
public sealed record ChatMessage(string Id, string ChurchId, string ConversationId, string? PersonId, string DisplayName,
    DateTimeOffset TimeSent, string MessageType, string Content, DateTimeOffset? TimeUpdated);

/// <summary>
/// A socket's presence in a room (a ChurchApps "connection" row). <see cref="NodeId"/> is the node holding the
/// socket and <see cref="SessionId"/> its reliable session if it authenticated; neither is sent to clients.
/// </summary>
[GenerateSerializer, Immutable, Alias("OrleansSync.RoomConnection")]
public sealed record RoomConnection(string Id, string ChurchId, string ConversationId, string? PersonId, string DisplayName,
    string SocketId, DateTimeOffset TimeJoined,
    [property: System.Text.Json.Serialization.JsonIgnore] string NodeId = "",
    [property: System.Text.Json.Serialization.JsonIgnore] string? SessionId = null)
{
    /// <summary>
    /// The row as a lister sees it: <see cref="SocketId"/> empty. Naming a socket id is what lets a caller rename
    /// the socket or take it out of a room, so only the socket itself (by <c>getId</c>) ever learns it; the field
    /// stays, empty, so the row keeps the shape ChurchApps clients expect.
    /// </summary>
    public RoomConnection WithoutSocketId() => this with { SocketId = "" };
}

/// <summary>Unread counters of a person, sent with <c>privateMessage</c> and <c>notification</c>.</summary>
[GenerateSerializer, Immutable, Alias("OrleansSync.NotificationCounts")]
public sealed record NotificationCounts(int NotificationCount, int PmCount);

/// <summary>A private message between two people of a church.</summary>
[GenerateSerializer, Immutable, Alias("OrleansSync.PrivateMessage")]
public sealed record PrivateMessage(string Id, string ChurchId, string FromPersonId, string FromDisplayName, string ToPersonId,
    string Content, DateTimeOffset TimeSent);

/// <summary>A church-scoped room key. The alerts room of a church is <c>(churchId, "alerts")</c>.</summary>
public readonly record struct RoomKey(string ChurchId, string ConversationId)
{
    /// <summary>Conversation id of the per-church alerts room (private messages and notifications).</summary>
    public const string AlertsConversationId = "alerts";

    /// <summary>True for the alerts room, whose payloads go only to the rows of the person they are for.</summary>
    public bool IsAlerts => ConversationId == AlertsConversationId;

    /// <summary>Grain key: both parts, separated by a character that cannot appear in either (ids are validated).</summary>
    public string GrainKey => ChurchId + "\n" + ConversationId;

    /// <summary>Parses a <see cref="GrainKey"/>.</summary>
    public static RoomKey FromGrainKey(string key)
    {
        var split = key.IndexOf('\n');
        return new RoomKey(key[..split], key[(split + 1)..]);
    }
}
