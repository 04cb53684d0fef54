using Microsoft.Playwright;
using Xunit;
using static OrleansSync.BrowserTests.DemoPages;

namespace OrleansSync.BrowserTests;

/// <summary>The chat demo (ChurchApps rooms) across two browser contexts: a signed-in member and an anonymous visitor.</summary>
public sealed class ChatRoomTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string MessagesJs = "() => [...document.querySelectorAll('#messages li')].map(li => li.querySelector('.who').textContent + ': ' + li.querySelector('.content').textContent)";

    [Fact]
    public async Task Messages_flow_both_ways_and_attendance_follows_a_closing_tab()
    {
        await using var node = await StartNodeAsync();
        await using var memberContext = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new() { Width = 1000, Height = 640 } });
        await using var visitorContext = await browser.Browser.NewContextAsync();

        var member = await memberContext.NewPageAsync();
        await member.GotoAsync($"{node.BaseAddress}demo/chat?name=Ann");
        await member.ClickAsync("#join"); // signed in, no room id: creates a room that allows anonymous posts
        await WaitAsync(member, "() => window.chatDemo.conversationId && document.querySelector('#viewer-count').textContent === '1'");
        var conversationId = await member.EvaluateAsync<string>("() => window.chatDemo.conversationId");

        var visitor = await visitorContext.NewPageAsync();
        await visitor.GotoAsync($"{node.BaseAddress}demo/chat?church=demo-church&room={Uri.EscapeDataString(conversationId)}&name=Visitor&anonymous=1");
        await visitor.ClickAsync("#join");
        foreach (var page in new[] { member, visitor })
        {
            await WaitAsync(page, "() => document.querySelector('#viewer-count').textContent === '2'");
        }

        await member.FillAsync("#content", "Welcome, everyone");
        await member.ClickAsync("#send");
        await visitor.FillAsync("#content", "Hello from the back row");
        await visitor.ClickAsync("#send");
        var expected = new[] { "Ann: Welcome, everyone", "Visitor: Hello from the back row" };
        foreach (var page in new[] { member, visitor })
        {
            await WaitAsync(page, $"expected => JSON.stringify(({MessagesJs})()) === JSON.stringify(expected)", expected);
        }
        Assert.Equal(["Ann", "Visitor"], (await member.EvalOnSelectorAllAsync<string[]>("#viewers li", "els => els.map(e => e.textContent)")).Order());
        Assert.True(await member.EvaluateAsync<bool>("() => window.chatDemo.connection.stats.authOk >= 1"), "the member's socket is authenticated");
        Assert.Equal(0, await visitor.EvaluateAsync<int>("() => window.chatDemo.connection.stats.authOk")); // the visitor's is anonymous
        // The member's room payloads came through its session's reliable queue (event_id, acked); the visitor's did not.
        await WaitAsync(member, "() => window.chatDemo.connection.stats.applied >= 3 && window.chatDemo.connection.stats.acks >= 3");
        Assert.Equal(0, await visitor.EvaluateAsync<int>("() => window.chatDemo.connection.stats.applied"));
        await SaveScreenshotAsync(member, "chat.png");

        await visitor.CloseAsync();
        await WaitAsync(member, "() => document.querySelector('#viewer-count').textContent === '1'");
        Assert.Equal(["Ann"], await member.EvalOnSelectorAllAsync<string[]>("#viewers li", "els => els.map(e => e.textContent)"));
    }
}
