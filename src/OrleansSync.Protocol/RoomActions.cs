namespace OrleansSync.Protocol;

/// <summary>The <c>action</c> of ChurchApps room frames (<see cref="RoomPayloads"/>, <see cref="ServerFrames.SocketId"/>).</summary>
public static class RoomActions
{
    /// <summary>The answer to <c>getId</c>; data: the socket's id.</summary>
    public const string SocketId = "socketId";

    /// <summary>A saved or edited message.</summary>
    public const string Message = "message";

    /// <summary>A deleted message; data: <c>{id}</c>.</summary>
    public const string DeleteMessage = "deleteMessage";

    /// <summary>A toggled reaction.</summary>
    public const string Reaction = "reaction";

    /// <summary>A callout (a message with <c>messageType: "callout"</c>).</summary>
    public const string Callout = "callout";

    /// <summary>Who is in the room.</summary>
    public const string Attendance = "attendance";

    /// <summary>A private message, to the alerts rows of the person it is for.</summary>
    public const string PrivateMessage = "privateMessage";

    /// <summary>New notification counts, to the alerts rows of the person they are for.</summary>
    public const string Notification = "notification";
}
