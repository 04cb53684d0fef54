using System.Collections.Concurrent;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSync.Cluster;
using OrleansSync.Delivery;
using OrleansSync.Gateway.Publishing;
using OrleansSync.Concurrency;

namespace OrleansSync.Gateway.Cluster;

/// <summary>
/// <see cref="ISessionListInvalidation"/> for a cluster: drops this node's copies, reads the node table (after the
/// change committed, so a node that registered since then started with no copies), and asks every other node whose
/// heartbeat is within <see cref="NodeClusterOptions.NodeTimeout"/> to drop theirs (<see cref="SessionListEndpoints"/>).
/// Nodes silent longer use no copies anyway (their heartbeat lease ran out), nor do nodes without an address (nobody
/// could ask them). If any node does not answer within <see cref="NodeClusterOptions.PeerTimeout"/>, or the node table
/// cannot be read, the call waits out the copies' lifetime instead: whatever that node holds has expired by then. Forgets that overlap go together
/// (<see cref="CallCoalescer{TKey, TValue}"/>): one request per node at a time, however many sockets attach at once.
/// </summary>
public sealed partial class PeerSessionListInvalidation : ISessionListInvalidation, IDisposable
{
    private const string EveryUser = ""; // a coalescer key no user id can be (user ids are never empty)

    private readonly UserSessionCache _cache;
    private readonly INodeStore _nodes;
    private readonly string _nodeId;
    private readonly IOptions<ApiOptions> _api;
    private readonly IOptionsMonitor<NodeClusterOptions> _cluster;
    private readonly TimeProvider _time;
    private readonly ILogger<PeerSessionListInvalidation> _logger;
    private readonly HttpClient _http = new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(1), UseProxy = false });
    private readonly CallCoalescer<string, bool> _broadcasts;
    private readonly ConcurrentDictionary<string, long> _lastWarned = new(StringComparer.Ordinal); // node id → timestamp
    private static readonly TimeSpan WarnEvery = TimeSpan.FromMinutes(1);

    /// <summary>Creates the invalidation (connections open on first use).</summary>
    public PeerSessionListInvalidation(UserSessionCache cache, INodeStore nodes, IOptions<NodeOptions> node, IOptions<ApiOptions> api,
        IOptionsMonitor<NodeClusterOptions> cluster, TimeProvider time, ILogger<PeerSessionListInvalidation> logger)
    {
        _cache = cache;
        _nodes = nodes;
        _nodeId = node.Value.Id ?? throw new InvalidOperationException("Node:Id is not set.");
        _api = api;
        _cluster = cluster;
        _time = time;
        _logger = logger;
        _broadcasts = new CallCoalescer<string, bool>(BroadcastAsync);
    }

    /// <inheritdoc />
    public Task ForgetEverywhereAsync(IReadOnlyList<string>? userIds)
    {
        _cache.Forget(userIds);
        if (Lifetime <= TimeSpan.Zero)
        {
            return Task.CompletedTask; // copies are off (the setting is the same on every node)
        }
        return userIds switch
        {
            null => _broadcasts.CallAsync(EveryUser),
            [var only] => _broadcasts.CallAsync(only),
            _ => Task.WhenAll(userIds.Select(user => _broadcasts.CallAsync(user))),
        };
    }

    private async Task<IReadOnlyList<bool>> BroadcastAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var request = new ForgetSessionListsRequest(keys.Contains(EveryUser) ? null : [.. keys]);
        var everyoneAnswered = false;
        try
        {
            var liveSince = _time.GetUtcNow() - _cluster.CurrentValue.NodeTimeout;
            var peers = (await _nodes.LoadNodesAsync(CancellationToken.None).ConfigureAwait(false))
                .Where(n => n.NodeId != _nodeId && n.HeartbeatAt >= liveSince && !string.IsNullOrEmpty(n.Address)).ToList();
            var answers = await Task.WhenAll(peers.Select(peer => AskAsync(peer, request))).ConfigureAwait(false);
            everyoneAnswered = answers.All(answered => answered);
        }
        catch (Exception exception)
        {
            Log.NodesUnreadable(_logger, exception.Message);
        }
        if (!everyoneAnswered)
        {
            var remaining = Lifetime - _time.GetElapsedTime(started);
            if (remaining > TimeSpan.Zero)
            {
                await Task.Delay(remaining, _time, CancellationToken.None).ConfigureAwait(false);
            }
        }
        return keys.Select(static _ => true).ToArray();
    }

    /// <summary>The cluster's setting (this node's own copies may be off: a node without an address keeps none).</summary>
    private TimeSpan Lifetime => _cluster.CurrentValue.SessionListLifetime;

    private async Task<bool> AskAsync(NodeInfo peer, ForgetSessionListsRequest request)
    {
        try
        {
            using var timeout = new CancellationTokenSource(_cluster.CurrentValue.PeerTimeout);
            using var message = new HttpRequestMessage(HttpMethod.Post, peer.Address!.TrimEnd('/') + SessionListEndpoints.Route)
            {
                Content = JsonContent.Create(request, GatewayJsonContext.Default.ForgetSessionListsRequest),
            };
            message.Headers.Add(ApiKeyFilter.HeaderName, _api.Value.Key);
            using var response = await _http.SendAsync(message, timeout.Token).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return true;
            }
            Warn(peer.NodeId, $"HTTP {(int)response.StatusCode}");
        }
        catch (Exception exception) // unreachable, too slow, or an address that is no URL: not confirmed, whatever it was
        {
            Warn(peer.NodeId, exception.Message);
        }
        return false;
    }

    /// <summary>At most once a minute per node: a node that is down is counted dead soon; one with a wrong address never is.</summary>
    private void Warn(string nodeId, string reason)
    {
        var now = _time.GetTimestamp();
        if (!_lastWarned.TryGetValue(nodeId, out var last) || _time.GetElapsedTime(last, now) >= WarnEvery)
        {
            _lastWarned[nodeId] = now;
            Log.PeerDidNotForget(_logger, nodeId, reason);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning,
            "Node {NodeId} did not confirm it dropped its session-list copies ({Reason}); claims and inbox fallbacks wait out " +
            "Cluster:SessionListLifetime instead until it answers or is counted dead (check its Node:Address if it is up).")]
        public static partial void PeerDidNotForget(ILogger logger, string nodeId, string reason);

        [LoggerMessage(2, LogLevel.Warning, "Could not read the node table to ask peers to drop session-list copies ({Reason}); waiting out their lifetime instead.")]
        public static partial void NodesUnreadable(ILogger logger, string reason);
    }
}
