using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>
/// A real <see cref="ClientWebSocket"/> with a background reader: every text frame is kept, in order,
/// for the test to wait on. Waiting always has a timeout; nothing sleeps.
/// </summary>
public sealed class WsClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly ClientWebSocket _socket;
    private readonly Channel<string> _frames = Channel.CreateUnbounded<string>();
    private readonly TaskCompletionSource<(WebSocketCloseStatus? Code, string? Reason)> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reader;

    private WsClient(ClientWebSocket socket)
    {
        _socket = socket;
        _reader = Task.Run(ReadLoopAsync);
    }

    public WebSocketState State => _socket.State;

    /// <summary>Completes with the close code and reason once the server closed the socket (or the connection dropped).</summary>
    public Task<(WebSocketCloseStatus? Code, string? Reason)> Closed => _closed.Task;

    public static async Task<WsClient> ConnectAsync(Uri address, string? origin = null)
    {
        var socket = new ClientWebSocket();
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }
        await socket.ConnectAsync(address, new CancellationTokenSource(DefaultTimeout).Token);
        return new WsClient(socket);
    }

    public Task SendTextAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendBinaryAsync(byte[] bytes) =>
        _socket.SendAsync(bytes, WebSocketMessageType.Binary, true, CancellationToken.None);

    public Task SendJsonAsync(object frame) => SendTextAsync(JsonSerializer.Serialize(frame));

    public Task AckAsync(string eventId) => SendJsonAsync(new { type = "ack", event_id = eventId });

    /// <summary>Sends <c>auth</c> and returns the <c>auth_ok</c> frame.</summary>
    public async Task<JsonElement> AuthAsync(string token, string? sessionId = null)
    {
        await SendJsonAsync(new { type = "auth", token, session_id = sessionId });
        var frame = await NextAsync();
        Xunit.Assert.Equal("auth_ok", frame.GetProperty("type").GetString());
        return frame;
    }

    /// <summary>The next frame, parsed.</summary>
    public async Task<JsonElement> NextAsync(TimeSpan? timeout = null) => JsonDocument.Parse(await NextTextAsync(timeout)).RootElement;

    public async Task<string> NextTextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            return await _frames.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no frame within {timeout ?? DefaultTimeout} (socket {_socket.State})");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"socket closed ({_socket.CloseStatus} {_socket.CloseStatusDescription}) while a frame was expected");
        }
    }

    /// <summary>Reads frames until one satisfies <paramref name="match"/>; returns it (frames before it are dropped).</summary>
    /// <summary>The next <paramref name="count"/> frames' event ids, each acked as it arrives (a tab applying a replay).</summary>
    public async Task<List<string>> NextEventsAckedAsync(int count, TimeSpan? timeout = null)
    {
        var eventIds = new List<string>(count);
        while (eventIds.Count < count)
        {
            var eventId = (await NextAsync(timeout)).GetProperty("event_id").GetString()!;
            eventIds.Add(eventId);
            await AckAsync(eventId);
        }
        return eventIds;
    }

    public async Task<JsonElement> NextMatchingAsync(Func<JsonElement, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException("no matching frame in time");
            }
            var frame = await NextAsync(left);
            if (match(frame))
            {
                return frame;
            }
        }
    }

    /// <summary>True if no frame arrives within <paramref name="window"/> (used only to assert absence).</summary>
    public async Task<bool> NothingWithinAsync(TimeSpan window)
    {
        using var cts = new CancellationTokenSource(window);
        try
        {
            await _frames.Reader.WaitToReadAsync(cts.Token);
            return !_frames.Reader.TryPeek(out _);
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    public async Task<(WebSocketCloseStatus? Code, string? Reason)> WaitClosedAsync(TimeSpan? timeout = null) =>
        await _closed.Task.WaitAsync(timeout ?? DefaultTimeout);

    /// <summary>Sends our close frame (after the server's, this completes the handshake); frames sent before it still reach the server.</summary>
    public Task CloseOutputAsync() => _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);

    /// <summary>Drops the TCP connection without a close handshake (a tab that vanished).</summary>
    public void Abort() => _socket.Abort();

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);
            }
            catch (Exception)
            {
                // best effort
            }
        }
        _socket.Abort();
        await _reader;
        _socket.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[1 << 20];
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                    count += result.Count;
                } while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
                _frames.Writer.TryWrite(Encoding.UTF8.GetString(buffer, 0, count));
            }
        }
        catch (Exception)
        {
            // connection dropped
        }
        _frames.Writer.TryComplete();
        _closed.TrySetResult((_socket.CloseStatus, _socket.CloseStatusDescription));
    }
}
