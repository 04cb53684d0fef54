using Microsoft.Extensions.Logging;

namespace OrleansSync.Conversations;

public sealed partial class ConversationGrain
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Socket {SocketId} could not be reached; removed from room {ChurchId}/{ConversationId}.")]
        public static partial void LostSocketRemoved(ILogger logger, string socketId, string churchId, string conversationId);
    }
}
