using Microsoft.Extensions.Time.Testing;
using OrleansSync.Delivery;
using OrleansSync.Storage;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Delivery;

/// <summary>
/// The rules of a node's copies of session lists, on a hand-driven clock (a unit test of its logic; the cluster
/// tests show a node's copy giving way to a session created or claimed on another node).
/// </summary>
public sealed class UserSessionCacheTests
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(5);
    private static readonly IReadOnlyList<UserSession> Attached = [new("s1", "node-a"), new("s2", "node-b")];

    private readonly FakeTimeProvider _time = new();
    private readonly UserSessionCache _cache;

    public UserSessionCacheTests() => _cache = new UserSessionCache(_time, Lifetime, Lease);

    private void Heartbeat() => _cache.RenewLease(_time.GetTimestamp());

    private void ReadAndKeep(string user, IReadOnlyList<UserSession> sessions) => _cache.Keep(user, _cache.BeginRead(), sessions);

    [Fact]
    public void A_list_read_after_the_first_heartbeat_is_used_until_its_lifetime_ends()
    {
        Heartbeat();
        ReadAndKeep("u", Attached);

        Assert.True(_cache.TryGet("u", out var sessions));
        Assert.Equal(Attached, sessions);
        _time.Advance(Lifetime - TimeSpan.FromMilliseconds(1));
        Assert.True(_cache.TryGet("u", out _));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(_cache.TryGet("u", out _));
    }

    [Fact]
    public void Nothing_is_kept_from_a_read_that_began_before_the_node_registered()
    {
        var ticket = _cache.BeginRead();
        _time.Advance(TimeSpan.FromMilliseconds(10));
        Heartbeat();
        _cache.Keep("u", ticket, Attached);

        Assert.False(_cache.TryGet("u", out _));
    }

    [Fact]
    public void A_read_overlapping_a_forget_is_not_kept_even_for_another_user()
    {
        Heartbeat();
        var ticket = _cache.BeginRead();
        _cache.Forget(["someone else"]);
        _cache.Keep("u", ticket, Attached);

        Assert.False(_cache.TryGet("u", out _));
    }

    [Fact]
    public void Forget_drops_the_named_users_or_everyone()
    {
        Heartbeat();
        ReadAndKeep("u1", Attached);
        ReadAndKeep("u2", Attached);
        ReadAndKeep("u3", Attached);

        _cache.Forget(["u1"]);
        Assert.False(_cache.TryGet("u1", out _));
        Assert.True(_cache.TryGet("u2", out _));

        _cache.Forget(null);
        Assert.False(_cache.TryGet("u2", out _));
        Assert.False(_cache.TryGet("u3", out _));
    }

    [Fact]
    public void Lists_with_a_detached_session_or_a_waiting_inbox_are_not_kept()
    {
        Heartbeat();
        ReadAndKeep("detached", [new("s1", "node-a"), new("s2", null)]);
        ReadAndKeep("waiting", [new("s1", "node-a", [new InboxEvent(1, "e1", [1])])]);
        ReadAndKeep("nobody", []);

        Assert.False(_cache.TryGet("detached", out _));
        Assert.False(_cache.TryGet("waiting", out _));
        Assert.True(_cache.TryGet("nobody", out var none));
        Assert.Empty(none);
    }

    [Fact]
    public void Copies_stop_when_the_heartbeat_lease_runs_out_and_a_later_heartbeat_starts_afresh()
    {
        var longLived = new UserSessionCache(_time, TimeSpan.FromSeconds(30), Lease);
        longLived.RenewLease(_time.GetTimestamp());
        longLived.Keep("u", longLived.BeginRead(), Attached);
        _time.Advance(Lease);

        Assert.False(longLived.TryGet("u", out _)); // no heartbeat for the lease: the others may count this node dead

        longLived.RenewLease(_time.GetTimestamp());
        Assert.False(longLived.TryGet("u", out _)); // nobody asked this node to forget meanwhile: the copy is gone
        longLived.Keep("u", longLived.BeginRead(), Attached);
        Assert.True(longLived.TryGet("u", out _));
    }

    [Fact]
    public void Expired_copies_are_removed_from_memory()
    {
        Heartbeat();
        ReadAndKeep("u1", Attached);
        _time.Advance(TimeSpan.FromSeconds(1));
        ReadAndKeep("u2", Attached);
        _time.Advance(TimeSpan.FromSeconds(1));

        _cache.RemoveExpired();

        Assert.Equal(1, _cache.Count);
        Assert.True(_cache.TryGet("u2", out _));
    }

    [Fact]
    public void A_cache_that_is_off_keeps_nothing()
    {
        var off = UserSessionCache.Off(_time);
        off.RenewLease(_time.GetTimestamp());
        off.Keep("u", off.BeginRead(), Attached);

        Assert.False(off.TryGet("u", out _));
    }
}
