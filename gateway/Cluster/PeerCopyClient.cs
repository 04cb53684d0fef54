using System.Collections.Concurrent;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSync.Cluster;
using OrleansSync.Delivery;
using OrleansSync.Diagnostics;
using OrleansSync.Gateway.Publishing;

namespace OrleansSync.Gateway.Cluster;

/// <summary>
/// <see cref="IPeerDelivery"/> over one WebSocket per peer node (<see cref="PeerCopyEndpoints"/>): copies for one
/// node are sent in batches, in order, what queues while a batch is being sent going in the next one. Nodes find
/// each other's addresses in the node table (<c>Node:Address</c>), read again at most once per
/// <see cref="NodeClusterOptions.HeartbeatInterval"/>. Any failure answers false, and the caller writes the inbox: a
/// node that is down, slow or unknown costs a publish at most <see cref="NodeClusterOptions.PeerTimeout"/>, then nothing
/// but the fallback for a heartbeat interval. (One HTTP request per batch was tried first: at ~90 µs of CPU per
/// request on each side it cost more than the inbox it saves.)
/// </summary>
public sealed partial class PeerCopyClient : IPeerDelivery, IDisposable
{
    private readonly INodeStore _nodes;
    private readonly IOptions<ApiOptions> _api;
    private readonly IOptionsMonitor<NodeClusterOptions> _cluster;
    private readonly TimeProvider _time;
    private readonly SyncMetrics _metrics;
    private readonly ILogger<PeerCopyClient> _logger;
    private readonly HttpMessageInvoker _connector;
    private readonly ConcurrentDictionary<string, PeerSender> _senders = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, string?> _addresses = new Dictionary<string, string?>();
    private long _addressesReadAt; // timestamp of the last read; 0: never read
    private int _refreshing;

    /// <summary>Creates the client (sockets are opened on first use).</summary>
    public PeerCopyClient(INodeStore nodes, IOptions<ApiOptions> api, IOptionsMonitor<NodeClusterOptions> cluster, TimeProvider time,
        SyncMetrics metrics, ILogger<PeerCopyClient> logger)
    {
        _nodes = nodes;
        _api = api;
        _cluster = cluster;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        // One handler for every peer's socket: connection setup with a bounded connect time.
        _connector = new HttpMessageInvoker(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(1) });
    }

    /// <inheritdoc />
    public Task<bool[]> TryDeliverAsync(string ownerNode, string eventId, byte[] frame, IReadOnlyList<string> sessionIds)
    {
        var group = new PeerCopyGroup(eventId, frame, sessionIds);
        return AddressOf(ownerNode) is { } address
            ? CountAsync(_senders.GetOrAdd(address, static (address, client) => new PeerSender(client, address), this).Send(group))
            : CountAsync(Task.FromResult(group.NoneTaken()));
    }

    private async Task<bool[]> CountAsync(Task<bool[]> answered)
    {
        var taken = await answered.ConfigureAwait(false);
        foreach (var copy in taken)
        {
            _metrics.PeerCopy(copy);
        }
        return taken;
    }

    /// <summary>The node's address from the last read of the node table (refreshed in the background when stale).</summary>
    private string? AddressOf(string nodeId)
    {
        var readAt = Volatile.Read(ref _addressesReadAt);
        if ((readAt == 0 || _time.GetElapsedTime(readAt) > _cluster.CurrentValue.HeartbeatInterval) && Interlocked.Exchange(ref _refreshing, 1) == 0)
        {
            _ = RefreshAddressesAsync();
        }
        return _addresses.TryGetValue(nodeId, out var address) ? address : null;
    }

    private async Task RefreshAddressesAsync()
    {
        try
        {
            var nodes = await _nodes.LoadNodesAsync().ConfigureAwait(false);
            _addresses = nodes.ToDictionary(n => n.NodeId, n => n.Address?.TrimEnd('/'), StringComparer.Ordinal);
            Volatile.Write(ref _addressesReadAt, _time.GetTimestamp());
        }
        catch (Exception exception)
        {
            Log.AddressesUnreadable(_logger, exception.Message);
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var sender in _senders.Values)
        {
            sender.Dispose();
        }
        _connector.Dispose();
    }

    /// <summary>
    /// One node's copies: batches sent in order on a long-lived WebSocket (<see cref="PeerConnection"/>), what queues
    /// while one is being sent going in the next. Every copy is answered within about <see cref="NodeClusterOptions.PeerTimeout"/>
    /// (twice that at most, when it waited behind a slow send):
    /// a batch's clock starts when it leaves the queue and covers connecting, sending and the answer; a batch that
    /// runs out of time, or a socket that fails, fails every batch on that socket and drops it. After a failure the
    /// node counts as down for one <see cref="NodeClusterOptions.HeartbeatInterval"/>: copies for it answer false at once.
    /// </summary>
    private sealed class PeerSender(PeerCopyClient client, string address) : IDisposable
    {
        /// <summary>A batch is cut at this many encoded bytes (the receiver takes up to <see cref="PeerCopyCodec.MaxBodyBytes"/>).</summary>
        private const int BatchBytes = PeerCopyCodec.MaxBodyBytes / 2;

        private readonly object _gate = new();
        private readonly Queue<PeerCopyGroup> _queued = new();
        private bool _sending;
        private long _downUntil;
        private PeerConnection? _connection;
        private bool _disposed;

        /// <summary>Queues the group (before returning: order) and answers when the node has answered it.</summary>
        public Task<bool[]> Send(PeerCopyGroup group)
        {
            lock (_gate)
            {
                if (_disposed || (_downUntil != 0 && client._time.GetTimestamp() < _downUntil))
                {
                    return Task.FromResult(group.NoneTaken());
                }
                _queued.Enqueue(group);
                if (!_sending)
                {
                    _sending = true;
                    _ = Task.Run(PumpAsync);
                }
                return group.Answered;
            }
        }

        /// <summary>Sends what is queued, batch after batch, until nothing is; never leaves a copy unanswered.</summary>
        private async Task PumpAsync()
        {
            try
            {
                while (await SendNextBatchAsync().ConfigureAwait(false))
                {
                }
            }
            catch (Exception exception)
            {
                // Not expected (SendNextBatchAsync answers its own batch); never leave the queue without a pump.
                Log.PeerUnreachable(client._logger, address, exception.Message);
                lock (_gate)
                {
                    _sending = false;
                }
                MarkDown();
            }
        }

        /// <summary>Sends one batch; false when nothing was queued (the pump then stops).</summary>
        private async Task<bool> SendNextBatchAsync()
        {
            List<PeerCopyGroup> waiting = [];
            var bytes = 0;
            lock (_gate)
            {
                while (_queued.TryPeek(out var next))
                {
                    var size = next.EncodedSize;
                    if (waiting.Count > 0 && bytes + size > BatchBytes)
                    {
                        break;
                    }
                    _queued.Dequeue();
                    waiting.Add(next);
                    bytes += size;
                }
                if (waiting.Count == 0)
                {
                    _sending = false;
                    return false;
                }
            }
            CancellationTokenSource? deadline = null;
            PeerConnection? connection = null;
            try
            {
                deadline = new CancellationTokenSource(client._cluster.CurrentValue.PeerTimeout);
                var body = PeerCopyCodec.Encode(waiting, bytes, headerBytes: 4);
                connection = await ConnectedAsync(deadline.Token).ConfigureAwait(false);
                await connection.SendAsync(body, waiting, deadline).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                // Whatever it was (no connection, a send that failed or ran out of time): this batch, anything in flight
                // on that socket, and what waits behind it answer false, and the node counts as down for a while.
                deadline?.Dispose();
                foreach (var group in waiting)
                {
                    group.AnswerNone();
                }
                if (connection is null)
                {
                    Log.PeerUnreachable(client._logger, address, exception.Message);
                    MarkDown();
                }
                else
                {
                    connection.Fail(exception.Message); // logs and marks the node down
                }
            }
            return true;
        }

        private async Task<PeerConnection> ConnectedAsync(CancellationToken deadline)
        {
            if (_connection is { IsOpen: true } open)
            {
                return open;
            }
            _connection = null;
            var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader(ApiKeyFilter.HeaderName, client._api.Value.Key);
            socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(5);
            try
            {
                await socket.ConnectAsync(new Uri(WebSocketUrl(address) + PeerCopyEndpoints.Route), client._connector, deadline).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            PeerConnection? connection = null;
            connection = new PeerConnection(socket, reason =>
            {
                Log.PeerUnreachable(client._logger, address, reason);
                bool current;
                lock (_gate)
                {
                    current = ReferenceEquals(_connection, connection);
                }
                if (current)
                {
                    MarkDown(); // an old socket failing after a new one is up says nothing about the node
                }
            });
            lock (_gate)
            {
                if (_disposed)
                {
                    connection.Fail();
                    throw new ObjectDisposedException(nameof(PeerSender));
                }
                _connection = connection;
            }
            return connection;
        }

        /// <summary>Copies for this node answer false at once for one heartbeat interval; those already queued too.</summary>
        private void MarkDown()
        {
            List<PeerCopyGroup> dropped = [];
            lock (_gate)
            {
                _downUntil = client._time.GetTimestamp() + (long)(client._cluster.CurrentValue.HeartbeatInterval.TotalSeconds * client._time.TimestampFrequency);
                while (_queued.TryDequeue(out var queued))
                {
                    dropped.Add(queued);
                }
            }
            foreach (var group in dropped)
            {
                group.AnswerNone();
            }
        }

        public void Dispose()
        {
            PeerConnection? connection;
            lock (_gate)
            {
                _disposed = true;
                connection = _connection;
            }
            connection?.Fail();
            MarkDown();
        }

        private static string WebSocketUrl(string address) =>
            address.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? "wss://" + address["https://".Length..]
            : address.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? "ws://" + address["http://".Length..]
            : address;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Node at {Address} did not take direct copies ({Reason}); they go through the inbox.")]
        public static partial void PeerUnreachable(ILogger logger, string address, string reason);

        [LoggerMessage(3, LogLevel.Warning, "Could not read the node table for peer addresses: {Reason}.")]
        public static partial void AddressesUnreadable(ILogger logger, string reason);
    }
}
