using Microsoft.Playwright;
using OrleansSync.Tests.Infrastructure;
using Xunit;
using static OrleansSync.BrowserTests.DemoPages;

namespace OrleansSync.BrowserTests;

/// <summary>The client library itself: the served file, per-tab sessions across reloads, the dead-socket probe, a long replay.</summary>
public sealed class ClientLibraryTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static string RepositoryFile(string relative) =>
        Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../..", relative));

    [Fact]
    public async Task The_gateway_serves_the_library_file_of_clients_js()
    {
        await using var node = await StartNodeAsync();
        foreach (var name in new[] { "orleanssync.js", "orleanssync.d.ts" })
        {
            using var response = await node.Http.GetAsync("/client/" + name);
            Assert.True(response.IsSuccessStatusCode, $"/client/{name}: {(int)response.StatusCode}");
            Assert.Equal(await File.ReadAllBytesAsync(RepositoryFile("clients/js/" + name)), await response.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task A_reloaded_tab_keeps_its_session_and_rereads_its_state_once()
    {
        await using var node = await StartNodeAsync();
        await using var context = await browser.Browser.NewContextAsync();
        var page = await OpenGalleryAsync(context, node, "fay");
        await AddPhotoAsync(page, "Kept");
        var sessionId = await page.EvaluateAsync<string>("() => photoDemo.connection.sessionId");
        await WaitAsync(page, "() => photoDemo.connection.stats.acks >= 1");

        await page.ReloadAsync();
        await WaitAsync(page, "() => window.photoDemo?.connection?.status === 'live'");
        await WaitForCaptionsAsync(page, "Kept");
        Assert.Equal(sessionId, await page.EvaluateAsync<string>("() => photoDemo.connection.sessionId"));
        // The server resumed the session (need_full_sync false); the page still re-read its list once, since a reload
        // loses in-memory state.
        Assert.Equal(["page_load"], await page.EvaluateAsync<string[]>("() => photoDemo.fullSyncReasons"));
    }

    [Fact]
    public async Task A_silent_dead_socket_is_found_by_the_probe_when_the_tab_regains_focus()
    {
        await using var node = await StartNodeAsync();
        await using var context = await browser.Browser.NewContextAsync();
        var page = await OpenGalleryAsync(context, node, "gus");
        // The socket stays "open" but nothing it sends arrives any more: the ping goes unanswered.
        await page.EvaluateAsync("() => { const ws = photoDemo.connection.ws; ws.send = () => {}; }");
        await page.EvaluateAsync("() => window.dispatchEvent(new Event('focus'))");
        await WaitAsync(page, "() => photoDemo.connection.stats.probeFailures === 1 && photoDemo.connection.stats.authOk === 2 && photoDemo.connection.status === 'live'");

        await AddPhotoAsync(page, "After the probe"); // the new socket delivers
        Assert.Equal(1, await FullSyncsAsync(page)); // resumed within the window: no second full sync
    }

    [Fact]
    public async Task A_tab_that_missed_1200_events_resumes_once_and_applies_every_one()
    {
        // Issue 20: a replay of a few hundred events used to overrun the socket's buffer (4004) on every resume, and the
        // client reconnected in a loop (6 auth_ok instead of 2 with an unbounded window). No re-send during the test, so
        // every event arrives once.
        await using var node = await StartNodeAsync(("Delivery:MaxQueuedPerSession", "2000"), ("Delivery:RetryInterval", "00:05:00"));
        await using var context = await browser.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{node.BaseAddress}healthz"); // any page of the node's origin
        await page.EvaluateAsync("""
            async () => {
              const token = await (await fetch('/dev/token?sub=ivy')).text();
              const { connect, defaultSocketUrl } = await import('/client/orleanssync.js');
              window.applied = [];
              window.connection = connect({
                url: defaultSocketUrl(), getToken: async () => token,
                onEvent: frame => { window.applied.push(frame.event_id); }, onFullSync: async () => {},
              });
            }
            """);
        await WaitAsync(page, "() => window.connection.status === 'live'");

        await LoseNetworkAsync(context, page, node, "window.connection");
        var published = await node.PublishManyAsync("ivy", 300, new { type = "added", pad = new string('x', 5_000) });
        published.AddRange(await node.PublishManyAsync("ivy", 900, new { type = "added", pad = new string('y', 60) }));
        await context.SetOfflineAsync(false);

        await page.WaitForFunctionAsync("n => window.applied.length >= n", published.Count,
            new PageWaitForFunctionOptions { Timeout = 60_000, PollingInterval = 50 });
        var applied = await page.EvaluateAsync<string[]>("() => window.applied");
        Assert.Equal(published.Order(), applied.Order());
        Assert.Equal(2, await page.EvaluateAsync<int>("() => window.connection.stats.authOk")); // one resume, no loop
        Assert.Equal(1, await page.EvaluateAsync<int>("() => window.connection.stats.fullSyncs")); // the page load's only
    }

    [Fact]
    public async Task A_duplicated_tab_that_copied_the_session_gets_its_own_session()
    {
        await using var node = await StartNodeAsync();
        await using var context = await browser.Browser.NewContextAsync();
        var original = await OpenGalleryAsync(context, node, "hal");
        var storage = await original.EvaluateAsync<string>("() => JSON.stringify(Object.fromEntries(Object.entries(sessionStorage)))");
        var sharedSession = await original.EvaluateAsync<string>("() => photoDemo.connection.sessionId");

        // What "Duplicate tab" does: the new tab starts with a copy of the original's sessionStorage.
        var duplicate = await context.NewPageAsync();
        await duplicate.AddInitScriptAsync($"(() => {{ const copy = {storage}; for (const k in copy) sessionStorage.setItem(k, copy[k]); }})()");
        await duplicate.GotoAsync($"{node.BaseAddress}demo/photos");
        await WaitAsync(duplicate, "() => window.photoDemo?.connection?.status === 'live'");
        Assert.Equal(sharedSession, await duplicate.EvaluateAsync<string>("() => photoDemo.connection.sessionId"));

        // The server closed the original's socket (4002, replaced); the original starts a session of its own.
        await WaitAsync(original, "s => photoDemo.connection.status === 'live' && photoDemo.connection.sessionId && photoDemo.connection.sessionId !== s", sharedSession);
        await AddPhotoAsync(original, "Seen by both");
        await WaitForCaptionsAsync(duplicate, "Seen by both");
        Assert.Single(await AppliedEventIdsAsync(duplicate));
    }
}
