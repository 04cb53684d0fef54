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
