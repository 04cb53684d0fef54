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
/// <see cref="ClusterOptions.HeartbeatInterval"/>. Any failure answers false, and the caller writes the inbox: a
/// node that is down, slow (<see cref="ClusterOptions.PeerTimeout"/>) or unknown costs its peers nothing but the
/// fallback. (One HTTP request per batch was tried first: at ~90 µs of CPU per request on each side it cost more
/// than the inbox it saves.)
/// </summary>
public sealed partial class PeerCopyClient : IPeerDelivery, IDisposable
{
    private readonly INodeStore _nodes;
    private readonly IOptions<ApiOptions> _api;
    private readonly IOptionsMonitor<ClusterOptions> _cluster;
    private readonly TimeProvider _time;
    private readonly SyncMetrics _metrics;
    private readonly ILogger<PeerCopyClient> _logger;
    private readonly HttpMessageInvoker _connector;
    private readonly ConcurrentDictionary<string, PeerSender> _senders = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, string?> _addresses = new Dictionary<string, string?>();
    private long _addressesReadAt; // timestamp of the last read; 0: never read
    private int _refreshing;

    /// <summary>Creates the client (sockets are opened on first use).</summary>
    public PeerCopyClient(INodeStore nodes, IOptions<ApiOptions> api, IOptionsMonitor<ClusterOptions> cluster, TimeProvider time,
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
    public async Task<bool> TryDeliverAsync(string ownerNode, string sessionId, string eventId, byte[] frame)
    {
        var taken = AddressOf(ownerNode) is { } address
            && await _senders.GetOrAdd(address, static (address, client) => new PeerSender(client, address), this)
                .SendAsync(new PeerCopy(sessionId, eventId, frame)).ConfigureAwait(false);
        _metrics.PeerCopy(taken);
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
    }

    /// <summary>
    /// One node's copies: a long-lived WebSocket (opened when needed, again after a failure), batches sent in order,
    /// several in flight, each answered by its id; a batch unanswered within <see cref="ClusterOptions.PeerTimeout"/>,
    /// or in flight when the socket fails, answers false for all its copies.
    /// </summary>
    private sealed class PeerSender(PeerCopyClient client, string address) : IDisposable
    {
        private readonly object _gate = new();
        private readonly Dictionary<uint, TaskCompletionSource<bool>[]> _inFlight = [];
        private List<PeerCopy> _copies = [];
        private List<TaskCompletionSource<bool>> _waiting = [];
        private bool _sending;
        private uint _nextBatch;
        private ClientWebSocket? _socket;

        public Task<bool> SendAsync(PeerCopy copy)
        {
            var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                _copies.Add(copy);
                _waiting.Add(done);
                if (!_sending)
                {
                    _sending = true;
                    _ = Task.Run(PumpAsync);
                }
            }
            return done.Task;
        }

        /// <summary>Sends what is queued, batch after batch, until nothing is.</summary>
        private async Task PumpAsync()
        {
            while (true)
            {
                List<PeerCopy> copies;
                TaskCompletionSource<bool>[] waiting;
                uint batch;
                lock (_gate)
                {
                    if (_copies.Count == 0)
                    {
                        _sending = false;
                        return;
                    }
                    (copies, _copies) = (_copies, []);
                    waiting = [.. _waiting];
                    _waiting.Clear();
                    batch = ++_nextBatch;
                    _inFlight[batch] = waiting;
                }
                try
                {
                    var socket = await ConnectedAsync().ConfigureAwait(false);
                    var body = PeerCopyCodec.Encode(copies, headerBytes: 4);
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(body, batch);
                    await socket.SendAsync(body, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
                    _ = ExpireAsync(batch);
                }
                catch (Exception exception)
                {
                    // Whatever it was, this batch (and any in flight) answers false: no copy may wait forever.
                    Log.PeerUnreachable(client._logger, address, exception.Message);
                    Fail();
                }
            }
        }

        /// <summary>The open socket, opening one (and its receive loop) if there is none.</summary>
        private async Task<ClientWebSocket> ConnectedAsync()
        {
            if (_socket is { State: WebSocketState.Open } open)
            {
                return open;
            }
            _socket?.Dispose();
            var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader(ApiKeyFilter.HeaderName, client._api.Value.Key);
            using var timeout = new CancellationTokenSource(client._cluster.CurrentValue.PeerTimeout);
            try
            {
                await socket.ConnectAsync(new Uri(WebSocketUrl(address) + PeerCopyEndpoints.Route), client._connector, timeout.Token).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            _socket = socket;
            _ = ReceiveAnswersAsync(socket);
            return socket;
        }

        private async Task ReceiveAnswersAsync(ClientWebSocket socket)
        {
            try
            {
                while (await PeerMessages.ReceiveAsync(socket, PeerCopyCodec.MaxBodyBytes, CancellationToken.None).ConfigureAwait(false) is { Length: >= 4 } answer)
                {
                    TaskCompletionSource<bool>[]? waiting;
                    lock (_gate)
                    {
                        _inFlight.Remove(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(answer), out waiting);
                    }
                    if (waiting is null)
                    {
                        continue; // timed out already: those copies went to the inbox
                    }
                    for (var i = 0; i < waiting.Length; i++)
                    {
                        waiting[i].TrySetResult(answer.Length == 4 + waiting.Length && answer[4 + i] == 1);
                    }
                }
            }
            catch (Exception exception)
            {
                Log.PeerUnreachable(client._logger, address, exception.Message);
            }
            Fail();
        }

        /// <summary>A batch still unanswered after the timeout answers false (its copies take the inbox).</summary>
        private async Task ExpireAsync(uint batch)
        {
            await Task.Delay(client._cluster.CurrentValue.PeerTimeout).ConfigureAwait(false);
            TaskCompletionSource<bool>[]? waiting;
            lock (_gate)
            {
                _inFlight.Remove(batch, out waiting);
            }
            foreach (var done in waiting ?? [])
            {
                done.TrySetResult(false);
            }
        }

        /// <summary>Every batch in flight answers false; the next batch opens a new socket.</summary>
        private void Fail()
        {
            List<TaskCompletionSource<bool>[]> failed;
            lock (_gate)
            {
                failed = [.. _inFlight.Values];
                _inFlight.Clear();
            }
            foreach (var done in failed.SelectMany(batch => batch))
            {
                done.TrySetResult(false);
            }
            if (_socket is { State: not WebSocketState.Open })
            {
                _socket.Abort();
            }
        }

        public void Dispose()
        {
            _socket?.Abort();
            _socket?.Dispose();
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

        [LoggerMessage(2, LogLevel.Warning, "Node at {Address} answered {Status} to direct copies; they go through the inbox.")]
        public static partial void PeerRefused(ILogger logger, string address, int status);

        [LoggerMessage(3, LogLevel.Warning, "Could not read the node table for peer addresses: {Reason}.")]
        public static partial void AddressesUnreadable(ILogger logger, string reason);
    }
}
