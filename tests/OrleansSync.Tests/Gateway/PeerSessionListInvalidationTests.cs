using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrleansSync.Cluster;
using OrleansSync.Delivery;
using OrleansSync.Gateway.Cluster;
using OrleansSync.Gateway.Publishing;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Gateway;

/// <summary>
/// Whom a node asks to drop their copies of session lists, and when it waits them out instead, with a scripted node
/// table and a hand-driven clock (the cluster tests show real nodes answering).
/// </summary>
public sealed class PeerSessionListInvalidationTests
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(2);
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task A_live_node_that_cannot_be_reached_is_waited_out_for_the_copies_lifetime()
    {
        using var invalidation = Create(new NodeInfo("node-b", "Gateway,Silo", _time.GetUtcNow(), _time.GetUtcNow(), "http://127.0.0.1:1"));

        var forgetting = invalidation.ForgetEverywhereAsync(["u1"]);

        // Refused at once; then only the clock can end the wait.
        Assert.NotSame(forgetting, await Task.WhenAny(forgetting, Task.Delay(TimeSpan.FromMilliseconds(500))));
        _time.Advance(Lifetime);
        await forgetting.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Nodes_without_an_address_or_counted_dead_are_not_asked_and_not_waited_for()
    {
        var longAgo = _time.GetUtcNow() - TimeSpan.FromMinutes(1);
        using var invalidation = Create(
            new NodeInfo("no-address", "Gateway,Silo", _time.GetUtcNow(), _time.GetUtcNow(), Address: null),
            new NodeInfo("dead", "Gateway,Silo", longAgo, longAgo, "http://127.0.0.1:1"),
            new NodeInfo("self", "Gateway,Silo", _time.GetUtcNow(), _time.GetUtcNow(), "http://127.0.0.1:1"));

        await invalidation.ForgetEverywhereAsync(null).WaitAsync(TimeSpan.FromSeconds(10)); // the clock never moves
    }

    [Fact]
    public async Task This_nodes_own_copies_are_dropped_at_once()
    {
        var cache = new UserSessionCache(_time, Lifetime, TimeSpan.FromHours(1));
        cache.RenewLease(_time.GetTimestamp());
        cache.Keep("u1", cache.BeginRead(), [new("s1", "self")]);
        using var invalidation = Create(cache);

        await invalidation.ForgetEverywhereAsync(["u1"]).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(cache.TryGet("u1", out _));
    }

    private PeerSessionListInvalidation Create(params NodeInfo[] nodes) => Create(UserSessionCache.Off(_time), nodes);

    private PeerSessionListInvalidation Create(UserSessionCache cache, params NodeInfo[] nodes) =>
        new(cache, new ScriptedNodes(nodes), Options.Create(new NodeOptions { Id = "self" }), Options.Create(new ApiOptions { Key = TestTokens.ApiKey }),
            new FixedOptionsMonitor<NodeClusterOptions>(new NodeClusterOptions { SessionListLifetime = Lifetime, NodeTimeout = TimeSpan.FromSeconds(5) }),
            _time, NullLogger<PeerSessionListInvalidation>.Instance);

    /// <summary>A node table that only answers what it was given.</summary>
    private sealed class ScriptedNodes(IReadOnlyList<NodeInfo> nodes) : INodeStore
    {
        public Task<IReadOnlyList<NodeInfo>> LoadNodesAsync(CancellationToken cancellationToken = default) => Task.FromResult(nodes);

        public Task HeartbeatAsync(string nodeId, string roles, string? address, DateTimeOffset now, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task<IReadOnlyList<string>> FindDeadNodesAsync(string self, DateTimeOffset deadBefore, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public Task DeleteNodeAsync(string nodeId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<bool> TryRunExclusiveAsync(string name, Func<CancellationToken, Task> work, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}
