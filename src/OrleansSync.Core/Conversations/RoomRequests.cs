namespace OrleansSync.Conversations;

/// <summary>Body item of <c>POST /messaging/connections</c>.</summary>
public sealed record JoinRequest(string? ChurchId, string? ConversationId, string? SocketId, string? PersonId, string? DisplayName);

/// <summary>Body item of <c>POST /messaging/conversations</c>.</summary>
public sealed record CreateConversationRequest(string? ContentType, string? ContentId, string? Title, bool? AllowAnonymousPosts);

/// <summary>Body item of <c>POST /messaging/messages/send</c> (anonymous) and <c>POST /messaging/messages</c> (signed in; an <c>id</c> edits).</summary>
public sealed record PostMessageRequest(string? Id, string? ChurchId, string? ConversationId, string? DisplayName, string? Content, string? MessageType);

/// <summary>Body of <c>POST /messaging/privateMessages</c>.</summary>
public sealed record PrivateMessageRequest(string? ToPersonId, string? Content);
