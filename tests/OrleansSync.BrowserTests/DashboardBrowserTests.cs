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
            ("Delivery:RetryInterval", "00:00:01"), ("Delivery:MaxAttempts", "2"));

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

            // Each of the three tabs acks its user's 20 events as they arrive (ana's two tabs both get hers), so no
            // honest tab comes near the retry limit however slow the machine is.
            var acking = tabs.Take(3).Select(async tab =>
            {
                for (var i = 0; i < 20; i++)
                {
                    var frame = await tab.NextMatchingAsync(f => f.TryGetProperty("event_id", out _), TimeSpan.FromSeconds(30));
                    await tab.AckAsync(frame.GetProperty("event_id").GetString()!);
                }
            }).ToList();
            for (var i = 0; i < 20; i++)
            {
                foreach (var user in new[] { "ana", "ben" })
                {
                    await node.PublishOkAsync(user, new { type = "added", id = $"{user}-{i}" });
                }
            }
            await Task.WhenAll(acking);
            await silent.WaitClosedAsync();

            var page = await browser.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
            var first = await page.GotoAsync(node.BaseAddress + "dashboard");
            Assert.Equal(401, first!.Status);
            await page.FillAsync("#admin-key", AdminKey);
            await page.ClickAsync("#sign-in");

            // Live figures: the page polls the node each second; wait until it shows the traffic.
            const string figures = @"() => {
                const v = id => Number(document.getElementById(id)?.dataset.value || 0);
                return {
                    live: document.getElementById('status')?.dataset.state === 'live',
                    sockets: v('open-sockets'), sessions: v('attached-sessions'), sends: v('total-sends'), acks: v('total-acks'),
                    resends: v('total-resends'), maxAttempts: v('total-max-attempts'), latCount: v('lat-count'), latP50: v('lat-p50'),
                    throughputPoints: Number(document.getElementById('chart-throughput').dataset.points),
                    latencyPoints: Number(document.getElementById('chart-latency').dataset.points),
                    errors: document.querySelectorAll('#errors li').length, rejected: document.querySelectorAll('#rejected tbody tr').length,
                };
            }";
            try
            {
                await page.WaitForFunctionAsync($@"() => {{
                    const f = ({figures})();
                    return f.live && f.sockets === 3 && f.sessions === 3 && f.sends >= 60 && f.acks >= 60 && f.resends >= 1
                        && f.maxAttempts === 1 && f.latCount >= 60 && f.latP50 > 0 && f.throughputPoints > 0 && f.latencyPoints > 0
                        && f.errors > 0 && f.rejected > 0;
                }}", null, new PageWaitForFunctionOptions { Timeout = 30_000, PollingInterval = 100 });
            }
            catch (TimeoutException)
            {
                // Say which figure never showed up.
                throw new TimeoutException("dashboard figures: " + (await page.EvaluateAsync<System.Text.Json.JsonElement>(figures)).GetRawText());
            }

            Assert.Equal("demo-node-1", await page.TextContentAsync("#node-id"));
            Assert.Contains("bad_json", await page.TextContentAsync("#rejected"));
            // Orleans' membership: this node's silo, active, marked as this node.
            Assert.Equal("Active", await page.GetAttributeAsync("#silos tbody tr[data-this=\"true\"]", "data-status"));
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotFolder, "dashboard.png"), FullPage = true });

            // Orleans' own dashboard, one click away, with the signed-in cookie, and the way back.
            await page.ClickAsync("#orleans-link");
            await page.WaitForURLAsync("**/dashboard/cluster", new PageWaitForURLOptions { Timeout = 20_000 });
            var orleans = page.FrameLocator("iframe");
            await orleans.Locator("text=Silos").First.WaitForAsync(new LocatorWaitForOptions { Timeout = 20_000 });
            await page.ClickAsync("a.back");
            await page.WaitForURLAsync("**/dashboard", new PageWaitForURLOptions { Timeout = 20_000 });
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
