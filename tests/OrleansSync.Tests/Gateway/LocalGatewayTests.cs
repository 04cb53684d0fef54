using OrleansSync.Delivery;
using OrleansSync.Gateway.Sockets;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Gateway;

/// <summary>
/// Session grains beside their sockets call the gateway object directly (<see cref="LocalGateway"/>); a link that names
/// any other observer keeps going through its reference.
/// </summary>
public sealed class LocalGatewayTests
{
    [Fact]
    public async Task A_link_to_this_processes_gateway_reaches_the_object_and_any_other_link_its_reference()
    {
        await using var node = await TestNode.StartAsync();
        var tab = await node.ConnectAsync();
        await tab.AuthAsync(TestTokens.For("lena")); // the first attach makes the gateway's reference
        var gateway = node.Service<GatewayObserver>();
        var local = node.Service<LocalGateway>();

        Assert.Same(gateway, local.Reach(gateway.LinkFor("some-socket")));

        var elsewhere = node.Service<IGrainFactory>().CreateObjectReference<IGatewayObserver>(new OtherGateway());
        var foreignLink = new SocketLink(elsewhere, "some-socket", "another-node");
        Assert.Same(elsewhere, local.Reach(foreignLink));
        await tab.DisposeAsync();
    }

    /// <summary>Stands for another gateway process's observer: only its reference matters here.</summary>
    private sealed class OtherGateway : IGatewayObserver
    {
        public Task SessionOpened(string socketId, SessionOpened opened) => Task.CompletedTask;

        public Task Send(string socketId, long order, Orleans.Concurrency.Immutable<byte[]> utf8Frame) => Task.CompletedTask;

        public Task Close(string socketId, SessionCloseReason reason) => Task.CompletedTask;
    }
}
