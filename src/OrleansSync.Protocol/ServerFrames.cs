using System.Buffers;
using System.Text.Json;

namespace OrleansSync.Protocol;

/// <summary>Builds the frames the gateway itself sends (events and room payloads are built by the grains).</summary>
public static class ServerFrames
{
    /// <summary>The <c>pong</c> answer to a client <c>ping</c>.</summary>
    public static readonly byte[] Pong = """{"type":"pong"}"""u8.ToArray();

    /// <summary><c>{"type":"auth_ok","user","session_id","need_full_sync","socket_id"}</c>.</summary>
    public static byte[] AuthOk(string userId, string sessionId, bool needFullSync, string socketId) => Write(writer =>
    {
        writer.WriteString("type"u8, "auth_ok"u8);
        writer.WriteString("user"u8, userId);
        writer.WriteString("session_id"u8, sessionId);
        writer.WriteBoolean("need_full_sync"u8, needFullSync);
        writer.WriteString("socket_id"u8, socketId);
    });

    /// <summary><c>{"type":"error","code","message"}</c>: the socket stays open.</summary>
    public static byte[] Error(string code, string message) => Write(writer =>
    {
        writer.WriteString("type"u8, "error"u8);
        writer.WriteString("code"u8, code);
        writer.WriteString("message"u8, message);
    });

    /// <summary>The ChurchApps answer to <c>getId</c>.</summary>
    public static byte[] SocketId(string socketId) => Write(writer =>
    {
        writer.WriteString("churchId"u8, ""u8);
        writer.WriteString("conversationId"u8, ""u8);
        writer.WriteString("action"u8, RoomActions.SocketId);
        writer.WriteString("data"u8, socketId);
    });

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
