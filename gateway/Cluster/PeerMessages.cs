using System.Buffers;
using System.Net.WebSockets;

namespace OrleansSync.Gateway.Cluster;

/// <summary>Whole binary messages over a node-to-node WebSocket.</summary>
internal static class PeerMessages
{
    /// <summary>
    /// The next whole message, or null when the peer closed. Throws <see cref="InvalidDataException"/> beyond
    /// <paramref name="maxBytes"/> or for a text message.
    /// </summary>
    public static async Task<byte[]?> ReceiveAsync(WebSocket socket, int maxBytes, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length >= maxBytes)
                    {
                        throw new InvalidDataException($"a message larger than {maxBytes} bytes");
                    }
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(maxBytes, length * 2));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var result = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return null;
                }
                if (result.MessageType != WebSocketMessageType.Binary)
                {
                    throw new InvalidDataException("a text message");
                }
                length += result.Count;
                if (length > maxBytes)
                {
                    throw new InvalidDataException($"a message larger than {maxBytes} bytes");
                }
                if (result.EndOfMessage)
                {
                    return buffer.AsSpan(0, length).ToArray();
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
