using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;

namespace OrleansSync.Bench.Baseline;

/// <summary>
/// One socket of the baseline: waits for <c>auth</c>, then receives frames it ignores (acks are not tracked)
/// and writes fanned-out frames from a bounded buffer, as the node's gateway does (256 frames).
/// </summary>
public sealed class BaselineSocket(WebSocket socket, BaselineTokenValidator tokens, UserSockets users)
{
    private const int OutboundBufferFrames = 256;
    private const int MaxFrameBytes = 16 * 1024;

    private readonly Channel<byte[]> _outbound = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(OutboundBufferFrames)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    public bool TrySend(byte[] frame) => _outbound.Writer.TryWrite(frame);

    public async Task RunAsync(CancellationToken stopping)
    {
        var sendLoop = SendLoopAsync(stopping);
        string? userId = null;
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                // Zero-byte read first: an idle socket holds no receive buffer, like the node.
                var peek = await socket.ReceiveAsync(Memory<byte>.Empty, stopping);
                if (peek.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
                // The buffer is rented per message and returned at once, so an idle socket holds none.
                var buffer = ArrayPool<byte>.Shared.Rent(MaxFrameBytes);
                try
                {
                    var length = 0;
                    ValueWebSocketReceiveResult result;
                    do
                    {
                        result = await socket.ReceiveAsync(buffer.AsMemory(length), stopping);
                        length += result.Count;
                    } while (!result.EndOfMessage && length < buffer.Length);
                    if (result.MessageType == WebSocketMessageType.Close || !result.EndOfMessage)
                    {
                        break;
                    }
                    if (userId is null)
                    {
                        userId = await AuthenticateAsync(buffer.AsMemory(0, length));
                        if (userId is null)
                        {
                            await socket.CloseOutputAsync((WebSocketCloseStatus)4001, "auth_failed", stopping);
                            break;
                        }
                    }
                    // Anything after auth (acks) is read and dropped: the baseline tracks nothing.
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or IOException)
        {
            // Peer gone.
        }
        finally
        {
            if (userId is not null)
            {
                users.Remove(userId, this);
            }
            _outbound.Writer.TryComplete();
            await sendLoop;
        }
    }

    private async Task<string?> AuthenticateAsync(ReadOnlyMemory<byte> frame)
    {
        string? token;
        try
        {
            using var document = JsonDocument.Parse(frame);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || !type.ValueEquals("auth"u8)
                || !root.TryGetProperty("token", out var tokenElement) || tokenElement.ValueKind != JsonValueKind.String)
            {
                return null;
            }
            token = tokenElement.GetString();
        }
        catch (JsonException)
        {
            return null;
        }
        var userId = await tokens.ValidateAsync(token);
        if (userId is null)
        {
            return null;
        }
        // auth_ok goes out before the socket is visible to publishers, so it is always the first frame.
        _outbound.Writer.TryWrite(BaselineFrames.AuthOk(userId, Guid.NewGuid().ToString("N")));
        users.Add(userId, this);
        return userId;
    }

    private async Task SendLoopAsync(CancellationToken stopping)
    {
        try
        {
            await foreach (var frame in _outbound.Reader.ReadAllAsync(stopping))
            {
                await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, stopping);
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Peer gone.
        }
    }
}
