using System.Net.WebSockets;
using System.Runtime.InteropServices;
using OrleansSync.Bench.Wire;

namespace OrleansSync.Bench;

/// <summary>
/// One browser-tab stand-in, the same for every target: opens a WebSocket, lets the target's
/// <see cref="WireSession"/> authenticate, then hands it every message and sends back what it answers (the acks),
/// counting each bench event once it was acked. Buffers are per client and reused, so a delivery allocates nothing
/// on the client. Like a tab it dedupes by event id: a seq received again with the same id is a re-send or a replay
/// (a duplicate, acked again, counted once); the same seq under another id would be a publish the application applies
/// twice (counted as an error). With <c>reconnects</c> (a protocol that resumes: the node's) a socket that ends, closed
/// by the server (1001 <c>session_moved</c> when its session's silo died) or dropped, is replaced as the project's JS
/// client replaces it: after its jittered backoff, a new socket to the same address resumes the session.
/// </summary>
public sealed class AckingClient : IMessageChannel
{
    // The JS client's reconnect policy (clients/js/orleanssync.js: backoffInitialMs, backoffMaxMs, connectTimeoutMs):
    // attempt n waits a delay drawn from [d/2, d], d = 500 ms × 2^n capped at 15 s; n is 0 again after an auth_ok.
    private static readonly TimeSpan BackoffInitial = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan BackoffMax = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly Uri _baseAddress;
    private readonly string _token;
    private readonly DeliveryStats _stats;
    private readonly WireSession _session;
    private readonly bool _reconnects;
    private readonly ReplyBuffer _reply = new();
    private readonly List<ReceivedEvent> _events = [];
    private readonly Dictionary<long, long> _seen = []; // seq → hash of the event id it came with
    private readonly CancellationTokenSource _stop = new();
    private ClientWebSocket _socket = NewSocket();
    private byte[] _receive = new byte[1024];
    private Task _loop = Task.CompletedTask;
    private volatile bool _abortedByBench;
    private bool _sawEventAfterKill; // on the current socket

    private AckingClient(Uri baseAddress, WireSession session, string token, DeliveryStats stats, bool reconnects)
    {
        _baseAddress = baseAddress;
        _session = session;
        _token = token;
        _stats = stats;
        _reconnects = reconnects;
    }

    public bool IsOpen => _socket.State == WebSocketState.Open;

    public string CloseDescription => $"closed {_socket.CloseStatus} {_socket.CloseStatusDescription}";

    /// <summary>
    /// Connects to <paramref name="baseAddress"/>, authenticates with <paramref name="token"/> and starts acking; with
    /// <paramref name="reconnects"/>, replaces a socket that ends by one that resumes the session, until aborted.
    /// </summary>
    public static async Task<AckingClient> ConnectAsync(Uri baseAddress, WireSession session, string token, DeliveryStats stats, bool reconnects, CancellationToken cancellationToken)
    {
        if (reconnects && !session.CanResume)
        {
            throw new ArgumentException($"{session.GetType().Name} cannot resume a session, so its clients do not reconnect");
        }
        var client = new AckingClient(baseAddress, session, token, stats, reconnects);
        try
        {
            await client.OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            client._socket.Dispose();
            throw;
        }
        client._loop = client.AckLoopAsync();
        return client;
    }

    /// <summary>Drops the connection without a close handshake (fast teardown of thousands of sockets), and any reconnect.</summary>
    public async Task AbortAsync()
    {
        _abortedByBench = true;
        _stop.Cancel();
        Volatile.Read(ref _socket).Abort();
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

    private static ClientWebSocket NewSocket()
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero; // the servers ping; client pings would only add load
        return socket;
    }

    /// <summary>Opens the current socket and authenticates on it (a resume once the session has an id).</summary>
    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        var address = await _session.AddressAsync(_baseAddress, _token, cancellationToken).ConfigureAwait(false);
        await _socket.ConnectAsync(address, cancellationToken).ConfigureAwait(false);
        await _session.HandshakeAsync(this, _token, cancellationToken).ConfigureAwait(false);
    }

    private async Task AckLoopAsync()
    {
        while (true)
        {
            var closedWith = await AckUntilClosedAsync().ConfigureAwait(false);
            if (_abortedByBench || !_reconnects)
            {
                return;
            }
            _stats.Failover?.OnClosed(this, closedWith);
            if (!await ReconnectAsync().ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>Acks every event of the current socket until it ends; returns the server's close code (null: dropped without one).</summary>
    private async Task<WebSocketCloseStatus?> AckUntilClosedAsync()
    {
        try
        {
            while (true)
            {
                var length = await ReceiveMessageAsync(CancellationToken.None).ConfigureAwait(false);
                if (length < 0)
                {
                    _stats.OnServerClosed(_socket.CloseStatus);
                    if (_reconnects)
                    {
                        await AnswerCloseAsync().ConfigureAwait(false);
                    }
                    return _socket.CloseStatus;
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
                    Count(received);
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
            return null;
        }
    }

    private void Count(ReceivedEvent received)
    {
        if (!_sawEventAfterKill && _stats.Failover is { KillTimestamp: var kill and not 0 } failover && received.SentTimestamp >= kill)
        {
            _sawEventAfterKill = true;
            failover.OnEventAfterKill(this);
        }
        ref var eventIdHash = ref CollectionsMarshal.GetValueRefOrAddDefault(_seen, received.Seq, out var seenBefore);
        if (!seenBefore)
        {
            eventIdHash = received.EventIdHash;
            _stats.OnDelivered(received.Seq, received.SentTimestamp);
        }
        else if (eventIdHash == received.EventIdHash)
        {
            _stats.OnDuplicate(); // a re-send or replay of an event this session already acked: acked again, counted once
        }
        else
        {
            _stats.OnDuplicateApplied();
        }
    }

    /// <summary>Completes the server's close handshake, as a browser does, so the server need not wait for it.</summary>
    private async Task AnswerCloseAsync()
    {
        try
        {
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is WebSocketException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            // Already gone: nothing to answer.
        }
    }

    /// <summary>A new socket that resumes the session, after the JS client's backoff; false when the bench stopped the client.</summary>
    private async Task<bool> ReconnectAsync()
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await Task.Delay(Backoff(attempt), _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            var socket = NewSocket();
            Interlocked.Exchange(ref _socket, socket).Dispose();
            if (_stop.IsCancellationRequested)
            {
                socket.Abort(); // AbortAsync may have aborted the socket this one replaced
                return false;
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(ConnectTimeout);
            try
            {
                await OpenAsync(timeout.Token).ConfigureAwait(false);
                _sawEventAfterKill = false;
                _stats.Failover?.OnResumed(_session.ResumeNeedsFullSync);
                return true;
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                _stats.Failover?.OnResumeFailed(); // refused, closed or timed out: the next attempt after a longer backoff
            }
            catch (Exception)
            {
                return false;
            }
        }
    }

    private static TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(BackoffMax.TotalMilliseconds, BackoffInitial.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30)));
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
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
