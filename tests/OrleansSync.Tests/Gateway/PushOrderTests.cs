using System.Text;
using Microsoft.Extensions.Time.Testing;
using OrleansSync.Gateway.Sockets;
using Xunit;

namespace OrleansSync.Tests.Gateway;

/// <summary>The gateway's reordering of a session's pushes (<see cref="PushOrder"/>), driven by hand.</summary>
public sealed class PushOrderTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly List<string> _sent = [];

    [Fact]
    public void Pushes_in_order_go_out_at_once()
    {
        var order = new PushOrder(_time);
        for (var i = 0; i < 3; i++)
        {
            Accept(order, i);
            Assert.Equal(i + 1, _sent.Count);
        }
        Assert.Equal(["0", "1", "2"], _sent);
    }

    [Fact]
    public void Early_pushes_wait_for_the_ones_before_them()
    {
        var order = new PushOrder(_time);
        foreach (var i in new[] { 3, 2, 1 })
        {
            Accept(order, i);
        }
        Assert.Empty(_sent);

        Accept(order, 0);

        Assert.Equal(["0", "1", "2", "3"], _sent);
    }

    [Fact]
    public void A_lost_push_holds_the_later_ones_until_the_gap_timeout_then_they_go_in_order()
    {
        var order = new PushOrder(_time);
        Accept(order, 0);
        Accept(order, 2); // 1 was lost
        Accept(order, 3);
        Assert.Equal(["0"], _sent);

        _time.Advance(PushOrder.GapTimeout);
        Accept(order, 4);
        Assert.Equal(["0", "2", "3", "4"], _sent);

        Accept(order, 1); // it came after all: it goes out at once
        Assert.Equal(["0", "2", "3", "4", "1"], _sent);
        Accept(order, 5);
        Assert.Equal("5", _sent[^1]);
    }

    [Fact]
    public void More_pushes_than_can_be_held_behind_a_gap_go_out_in_order()
    {
        var order = new PushOrder(_time);
        for (var i = 1; i <= PushOrder.MaxHeld; i++)
        {
            Accept(order, i);
        }
        Assert.Empty(_sent);

        Accept(order, PushOrder.MaxHeld + 1);

        Assert.Equal(Enumerable.Range(1, PushOrder.MaxHeld + 1).Select(i => i.ToString()), _sent);
    }

    [Fact]
    public void A_new_attach_counts_from_zero_again()
    {
        var order = new PushOrder(_time);
        Accept(order, 0);
        Accept(order, 1);
        Accept(order, 3);

        order.Reset();
        Accept(order, 1);
        Accept(order, 0);

        Assert.Equal(["0", "1", "0", "1"], _sent);
    }

    private void Accept(PushOrder order, int push) =>
        order.Accept(push, Encoding.UTF8.GetBytes(push.ToString()), frame => _sent.Add(Encoding.UTF8.GetString(frame.Span)));
}
