using Microsoft.Playwright;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.BrowserTests;

/// <summary>
/// The live dashboard in headless Chromium against a real node with real socket traffic: sign in with the admin
/// key, then wait until the page shows the traffic. Saves artifacts/screenshots/dashboard.png
/// (copied into docs/screenshots/ when the page changes).
/// </summary>
public sealed class DashboardBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string AdminKey = "browser-admin-key";

    [Fact]
    public async Task The_dashboard_shows_live_figures_after_traffic()
    {
        await using var node = await TestNode.StartAsync(("Admin:Key", AdminKey), ("Node:Id", "demo-node-1"),
            ("Delivery:RetryInterval", "00:00:00.300"), ("Delivery:MaxAttempts", "2"));

        // Traffic: three tabs of two users ack everything; a fourth never acks (re-sends, then the session is dropped).
        var tabs = new List<WsClient>();
        try
        {
            foreach (var user in new[] { "ana", "ana", "ben" })
            {
                var tab = await node.ConnectAsync();
                await tab.AuthAsync(TestTokens.For(user));
                tabs.Add(tab);
            }
            var silent = await node.ConnectAsync();
            await silent.AuthAsync(TestTokens.For("silent"));
            tabs.Add(silent);
            await silent.SendTextAsync("{oops");
            await node.PublishOkAsync("silent", new { type = "added", id = "never-acked" });

            for (var i = 0; i < 20; i++)
            {
                foreach (var user in new[] { "ana", "ben" })
                {
                    await node.PublishOkAsync(user, new { type = "added", id = $"{user}-{i}" });
                }
            }
            // Each of the three tabs gets its user's 20 events (ana's two tabs both get hers).
            for (var t = 0; t < 3; t++)
            {
                for (var i = 0; i < 20; i++)
                {
                    var frame = await tabs[t].NextMatchingAsync(f => f.TryGetProperty("event_id", out _));
                    await tabs[t].AckAsync(frame.GetProperty("event_id").GetString()!);
                }
            }
            await silent.WaitClosedAsync();

            var page = await browser.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
            var first = await page.GotoAsync(node.BaseAddress + "dashboard");
            Assert.Equal(401, first!.Status);
            await page.FillAsync("#admin-key", AdminKey);
            await page.ClickAsync("#sign-in");

            // Live figures: the page polls the node each second; wait until it shows the traffic.
            await page.WaitForFunctionAsync(@"() => {
                const v = id => Number(document.getElementById(id)?.dataset.value || 0);
                return document.getElementById('status')?.dataset.state === 'live'
                    && v('open-sockets') === 3 && v('attached-sessions') === 3
                    && v('total-sends') >= 60 && v('total-acks') >= 60 && v('total-resends') >= 1
                    && v('total-max-attempts') === 1 && v('lat-count') >= 60 && v('lat-p50') > 0
                    && Number(document.getElementById('chart-throughput').dataset.points) > 0
                    && Number(document.getElementById('chart-latency').dataset.points) > 0
                    && document.querySelectorAll('#errors li').length > 0
                    && document.querySelectorAll('#rejected tbody tr').length > 0;
            }", null, new PageWaitForFunctionOptions { Timeout = 20_000, PollingInterval = 100 });

            Assert.Equal("demo-node-1", await page.TextContentAsync("#node-id"));
            Assert.Contains("bad_json", await page.TextContentAsync("#rejected"));
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotFolder, "dashboard.png"), FullPage = true });
            await page.CloseAsync();
        }
        finally
        {
            foreach (var tab in tabs)
            {
                await tab.DisposeAsync();
            }
        }
    }
}
