using System.Text.Json;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>Helpers to wait for ChurchApps room payloads on a <see cref="WsClient"/>.</summary>
public static class RoomFrames
{
    public static async Task<string> GetIdAsync(this WsClient client)
    {
        await client.SendTextAsync("getId");
        var frame = await client.NextMatchingAsync(f => f.TryGetProperty("action", out var a) && a.GetString() == "socketId");
        return frame.GetProperty("data").GetString()!;
    }

    public static bool Is(JsonElement frame, string action) =>
        frame.ValueKind == JsonValueKind.Object && frame.TryGetProperty("action", out var a) && a.GetString() == action;

    public static Task<JsonElement> NextActionAsync(this WsClient client, string action, Func<JsonElement, bool>? where = null) =>
        client.NextMatchingAsync(f => Is(f, action) && (where is null || where(f.GetProperty("data"))));

    /// <summary>Waits for an attendance payload with exactly <paramref name="viewers"/> viewers.</summary>
    public static Task<JsonElement> AttendanceAsync(this WsClient client, int viewers) =>
        client.NextActionAsync("attendance", d => d.GetProperty("totalViewers").GetInt32() == viewers);
}
