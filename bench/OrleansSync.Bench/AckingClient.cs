using System.Net.WebSockets;
using System.Text;

namespace OrleansSync.Bench;

/// <summary>
/// One browser-tab stand-in: authenticates, then acks every event it receives. Buffers are per client and
/// reused; the ack is written into a fixed buffer, so a delivery allocates nothing on the client.
/// </summary>
public sealed class AckingClient
{
    private static readonly byte[] AckPrefix = "{\"type\":\"ack\",\"event_id\":\""u8.ToArray();
    private static readonly byte[] AckSuffix = "\"}"u8.ToArray();
    private static ReadOnlySpan<byte> AuthOkMarker => "\"auth_ok\""u8;

    private readonly ClientWebSocket _socket = new();
    private readonly byte[] _receive = new byte[1024];
    private readonly byte[] _ack = new byte[128];
    private readonly DeliveryStats _stats;
    private readonly HashSet<long> _seen = [];
    private Task _loop = Task.CompletedTask;
    private volatile bool _abortedByBench;

    private AckingClient(DeliveryStats stats)
    {
        _stats = stats;
        _socket.Options.KeepAliveInterval = TimeSpan.Zero; // the servers ping; client pings would only add load
        AckPrefix.CopyTo(_ack, 0);
    }

    public bool IsOpen => _socket.State == WebSocketState.Open;

    /// <summary>Connects, sends <paramref name="authFrame"/>, waits for <c>auth_ok</c> and starts acking.</summary>
    public static async Task<AckingClient> ConnectAsync(Uri address, byte[] authFrame, DeliveryStats stats, CancellationToken cancellationToken)
    {
        var client = new AckingClient(stats);
        try
        {
            await client._socket.ConnectAsync(address, cancellationToken).ConfigureAwait(false);
            await client._socket.SendAsync(authFrame, WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
            var length = await client.ReceiveMessageAsync(cancellationToken).ConfigureAwait(false);
            if (length < 0 || client._receive.AsSpan(0, length).IndexOf(AuthOkMarker) < 0)
            {
                var text = length < 0 ? $"closed {client._socket.CloseStatus} {client._socket.CloseStatusDescription}" : Encoding.UTF8.GetString(client._receive, 0, length);
                throw new InvalidOperationException("auth refused: " + text);
            }
        }
        catch
        {
            client._socket.Dispose();
            throw;
        }
        client._loop = client.AckLoopAsync();
        return client;
    }

    /// <summary>Drops the connection without a close handshake (fast teardown of thousands of sockets).</summary>
    public async Task AbortAsync()
    {
        _abortedByBench = true;
        _socket.Abort();
        await _loop.ConfigureAwait(false);
        _socket.Dispose();
    }

    private async Task AckLoopAsync()
    {
        try
        {
            while (true)
            {
                var length = await ReceiveMessageAsync(CancellationToken.None).ConfigureAwait(false);
                if (length < 0)
                {
                    _stats.OnServerClosed(_socket.CloseStatus);
                    return;
                }
                if (!EventFrameReader.TryRead(_receive.AsSpan(0, length), out var seq, out var sent, out var eventId))
                {
                    continue;
                }
                eventId.CopyTo(_ack.AsSpan(AckPrefix.Length));
                var ackLength = AckPrefix.Length + eventId.Length;
                AckSuffix.CopyTo(_ack.AsSpan(ackLength));
                ackLength += AckSuffix.Length;
                await _socket.SendAsync(_ack.AsMemory(0, ackLength), WebSocketMessageType.Text, true, CancellationToken.None).ConfigureAwait(false);
                if (_seen.Add(seq))
                {
                    _stats.OnDelivered(seq, sent);
                }
                else
                {
                    _stats.OnDuplicate(); // a re-send of an event this session already acked (its ack was late): acked again, counted once
                }
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            if (!_abortedByBench)
            {
                // Usually the server closed and dropped the TCP connection before the close frame was read.
                _stats.OnLost();
            }
        }
    }

    /// <summary>Reads one whole text message into the receive buffer; -1 when the server closed. Oversized messages are cut.</summary>
    private async ValueTask<int> ReceiveMessageAsync(CancellationToken cancellationToken)
    {
        var length = 0;
        while (true)
        {
            var result = await _socket.ReceiveAsync(_receive.AsMemory(Math.Min(length, _receive.Length - 1)), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return -1;
            }
            length = Math.Min(length + result.Count, _receive.Length);
            if (result.EndOfMessage)
            {
                return length;
            }
        }
    }
}
