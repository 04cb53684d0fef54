namespace OrleansSync.Conversations;

/// <summary>Who calls a room API: a signed-in person (from a verified token) or nobody (anonymous).</summary>
public sealed record RoomCaller(string ChurchId, string PersonId, string DisplayName);
