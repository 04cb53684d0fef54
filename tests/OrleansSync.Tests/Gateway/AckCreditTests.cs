using System.Net.WebSockets;
using System.Text.Json;
using OrleansSync.Delivery;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Gateway;

/// <summary>
/// Issue 20 item 2 over real sockets: an ack answers an event the server sent, so it spends the credit that send
/// granted, not the socket's flood budget; acks for ids the socket was never sent are still a flood (1008). The flood
/// budget here is 5 frames/s (bursts of 10), far below the rate at which the tab acks.
/// </summary>
public sealed class AckCreditTests
{
    private static string EventId(JsonElement frame) => frame.GetProperty("event_id").GetString()!;

    private static Task<TestNode> StartNodeAsync() =>
        TestNode.StartAsync(("Gateway:MaxFramesPerSecond", "5"), ("Delivery:RetryInterval", "00:05:00"));

    [Fact]
    public async Task A_tab_that_acks_everything_stays_open_however_fast_the_application_publishes()
    {
        await using var node = await StartNodeAsync();
        await using var tab = await node.ConnectAsync();
        await tab.AuthAsync(TestTokens.For("fiona"));
        const int count = 1000;
        var received = new List<string>();
        var acking = Task.Run(async () =>
        {
            while (received.Count < count)
            {
                var eventId = EventId(await tab.NextAsync(TimeSpan.FromSeconds(30)));
                received.Add(eventId);
                await tab.AckAsync(eventId);
            }
        });

        // In process, eight at a time: as fast as the node takes them.
        var publisher = node.Service<IEventPublisher>();
        var published = new List<string>();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < count)
            {
                var result = await publisher.PublishToUserAsync("fiona", JsonDocument.Parse("""{"type":"tick"}""").RootElement);
                lock (published)
                {
                    published.Add(result.EventId);
                }
            }
        }));
        await acking.WaitAsync(TimeSpan.FromSeconds(120));

        Assert.Equal(published.Order(), received.Order()); // each exactly once (no re-send within the test)
        Assert.False(tab.Closed.IsCompleted, "the tab was closed");
        Assert.Equal(0, (await node.ScrapeAsync()).ValueOrZero("orleanssync_frames_rejected_total", ("reason", "flood")));
        var (marker, _) = await node.PublishOkAsync("fiona", new { type = "marker" });
        Assert.Equal(marker, EventId(await tab.NextAsync()));
    }

    [Fact]
    public async Task Acks_for_ids_the_socket_was_never_sent_are_a_flood()
    {
        await using var node = await StartNodeAsync();
        await using var tab = await node.ConnectAsync();
        await tab.AuthAsync(TestTokens.For("mallory"));
        for (var i = 0; i < 3; i++) // real events, acked: within their credit
        {
            await node.PublishOkAsync("mallory", new { type = "added", n = i });
            await tab.AckAsync(EventId(await tab.NextAsync()));
        }

        for (var i = 0; i < 200 && !tab.Closed.IsCompleted; i++)
        {
            await tab.AckAsync($"never-sent-{i}");
        }
        var (code, reason) = await tab.WaitClosedAsync();
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, code);
        Assert.Contains("flood", reason);
    }
}
