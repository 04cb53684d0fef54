using System.Net.WebSockets;
using OrleansSync.Bench.Wire;

namespace OrleansSync.Bench;

/// <summary>
/// One browser-tab stand-in, the same for every target: opens a WebSocket, lets the target's
/// <see cref="WireSession"/> authenticate, then hands it every message and sends back what it answers (the acks),
/// counting each bench event once it was acked. Buffers are per client and reused, so a delivery allocates nothing
/// on the client.
/// </summary>
public sealed class AckingClient : IMessageChannel
{
    private readonly ClientWebSocket _socket = new();
    private readonly DeliveryStats _stats;
    private readonly WireSession _session;
    private readonly ReplyBuffer _reply = new();
    private readonly List<ReceivedEvent> _events = [];
    private readonly HashSet<long> _seen = [];
    private byte[] _receive = new byte[1024];
    private Task _loop = Task.CompletedTask;
    private volatile bool _abortedByBench;

    private AckingClient(WireSession session, DeliveryStats stats)
    {
        _session = session;
        _stats = stats;
        _socket.Options.KeepAliveInterval = TimeSpan.Zero; // the servers ping; client pings would only add load
    }

    public bool IsOpen => _socket.State == WebSocketState.Open;

    public string CloseDescription => $"closed {_socket.CloseStatus} {_socket.CloseStatusDescription}";

    /// <summary>Connects to <paramref name="baseAddress"/>, authenticates with <paramref name="token"/> and starts acking.</summary>
    public static async Task<AckingClient> ConnectAsync(Uri baseAddress, WireSession session, string token, DeliveryStats stats, CancellationToken cancellationToken)
    {
        var client = new AckingClient(session, stats);
        try
        {
            var address = await session.AddressAsync(baseAddress, token, cancellationToken).ConfigureAwait(false);
            await client._socket.ConnectAsync(address, cancellationToken).ConfigureAwait(false);
            await session.HandshakeAsync(client, token, cancellationToken).ConfigureAwait(false);
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

    public ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        _socket.SendAsync(message, WebSocketMessageType.Text, true, cancellationToken);

    public async ValueTask<ReadOnlyMemory<byte>?> ReceiveAsync(CancellationToken cancellationToken)
    {
        var length = await ReceiveMessageAsync(cancellationToken).ConfigureAwait(false);
        return length < 0 ? null : _receive.AsMemory(0, length);
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
                _reply.Clear();
                _events.Clear();
                _session.OnMessage(_receive.AsSpan(0, length), _reply, _events);
                if (_reply.Length > 0)
                {
                    await _socket.SendAsync(_reply.Written, WebSocketMessageType.Text, true, CancellationToken.None).ConfigureAwait(false);
                }
                foreach (var received in _events)
                {
                    if (_seen.Add(received.Seq))
                    {
                        _stats.OnDelivered(received.Seq, received.SentTimestamp);
                    }
                    else
                    {
                        _stats.OnDuplicate(); // a re-send of an event this session already acked (its ack was late): acked again, counted once
                    }
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

    /// <summary>Reads one whole text message into the receive buffer, growing it when needed; -1 when the server closed.</summary>
    private async ValueTask<int> ReceiveMessageAsync(CancellationToken cancellationToken)
    {
        var length = 0;
        while (true)
        {
            if (length == _receive.Length)
            {
                Array.Resize(ref _receive, _receive.Length * 2); // e.g. several SignalR records in one message
            }
            var result = await _socket.ReceiveAsync(_receive.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return -1;
            }
            length += result.Count;
            if (result.EndOfMessage)
            {
                return length;
            }
        }
    }
}
