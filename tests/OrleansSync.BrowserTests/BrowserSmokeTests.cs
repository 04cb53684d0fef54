using System.Net.WebSockets;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.BrowserTests;

/// <summary>Proves the browser toolchain: a real Chromium page opens a WebSocket to a real node and authenticates.</summary>
public sealed class BrowserSmokeTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task A_browser_page_authenticates_over_the_gateway_websocket()
    {
        await using var node = await TestNode.StartAsync();
        var page = await browser.Browser.NewPageAsync();
        await page.GotoAsync(node.BaseAddress + "healthz");
        var token = TestTokens.For("browser-user");
        var authOk = await page.EvaluateAsync<string>(@"([url, token]) => new Promise((resolve, reject) => {
            const ws = new WebSocket(url);
            ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token, session_id: null }));
            ws.onmessage = e => { resolve(e.data); ws.close(); };
            ws.onerror = () => reject(new Error('socket error'));
        })", new object[] { node.WebSocketAddress.ToString(), token });
        Assert.Contains("\"type\":\"auth_ok\"", authOk);
        Assert.Contains("\"user\":\"browser-user\"", authOk);
        await page.CloseAsync();
    }
}
