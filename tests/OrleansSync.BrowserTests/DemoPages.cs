using System.Net.WebSockets;
using Microsoft.Playwright;
using OrleansSync.Gateway.Sockets;
using OrleansSync.Tests.Infrastructure;

namespace OrleansSync.BrowserTests;

/// <summary>Drives the demo pages: opening them, waiting for page-side conditions (never sleeping), and reading their state.</summary>
public static class DemoPages
{
    public static readonly float Timeout = 20_000;

    /// <summary>A node in Development (so the pages get their tokens from /dev/token, as a person's browser does).</summary>
    public static Task<TestNode> StartNodeAsync(params (string Key, string Value)[] overrides) =>
        TestNode.StartAsync([("environment", "Development"), .. overrides]);

    public static async Task<IPage> OpenGalleryAsync(IBrowserContext context, TestNode node, string user)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{node.BaseAddress}demo/photos?user={Uri.EscapeDataString(user)}");
        await WaitAsync(page, "() => window.photoDemo?.connection?.status === 'live'");
        return page;
    }

    public static async Task WaitAsync(IPage page, string expression, object? arg = null) =>
        await page.WaitForFunctionAsync(expression, arg, new PageWaitForFunctionOptions { Timeout = Timeout, PollingInterval = 25 });

    /// <summary>Waits until the gallery shows exactly these captions (in order).</summary>
    public static Task WaitForCaptionsAsync(IPage page, params string[] captions) =>
        WaitAsync(page, "expected => JSON.stringify([...document.querySelectorAll('.photo .caption')].map(c => c.textContent)) === JSON.stringify(expected)",
            captions);

    public static Task<string[]> CaptionsAsync(IPage page) =>
        page.EvalOnSelectorAllAsync<string[]>(".photo .caption", "els => els.map(e => e.textContent)");

    /// <summary>Adds a photo through the page's form and waits until this page shows it.</summary>
    public static async Task AddPhotoAsync(IPage page, string title, string color = "#2a9d8f")
    {
        await page.FillAsync("#title", title);
        await page.FillAsync("#color", color);
        // The page's answer to the POST, not only the event: the next add must not race this one's form reset.
        await page.RunAndWaitForResponseAsync(() => page.ClickAsync("#add"),
            response => response.Url.EndsWith("/demo/api/photos", StringComparison.Ordinal) && response.Request.Method == "POST",
            new PageRunAndWaitForResponseOptions { Timeout = Timeout });
        await WaitAsync(page, "t => [...document.querySelectorAll('.photo .caption')].some(c => c.textContent === t)", title);
    }

    public static async Task RemovePhotoAsync(IPage page, string title)
    {
        await page.ClickAsync($".photo:has(.caption:text-is(\"{title}\")) button.remove");
        await WaitAsync(page, "t => ![...document.querySelectorAll('.photo .caption')].some(c => c.textContent === t)", title);
    }

    public static Task<int> FullSyncsAsync(IPage page) => page.EvaluateAsync<int>("() => window.photoDemo.fullSyncs");

    public static Task<string[]> AppliedEventIdsAsync(IPage page) => page.EvaluateAsync<string[]>("() => window.photoDemo.appliedEventIds");

    public static Task<int> StatAsync(IPage page, string name) =>
        page.EvaluateAsync<int>("name => window.photoDemo.connection.stats[name]", name);

    /// <summary>
    /// The network under the tab's socket dies: Chromium's offline emulation only holds an open WebSocket's frames
    /// (the socket survives and resumes when back online), so the server side of the socket is dropped too, as
    /// a real network loss eventually does. Returns once the server has let go of the socket (retention clock running).
    /// </summary>
    /// <param name="connection">The page's expression for its client connection.</param>
    public static async Task LoseNetworkAsync(IBrowserContext context, IPage page, TestNode node, string connection = "window.photoDemo.connection")
    {
        var socketId = await page.EvaluateAsync<string>($"() => {connection}.socketId");
        await context.SetOfflineAsync(true);
        var registry = node.Service<SocketRegistry>();
        registry.Find(socketId)?.RequestClose(WebSocketCloseStatus.EndpointUnavailable, "test: network lost");
        await Eventually.TrueAsync(() => registry.Find(socketId) is null, TimeSpan.FromSeconds(20), "the server lets go of the lost socket");
    }

    public static async Task SaveScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotFolder, name), FullPage = true });
}
