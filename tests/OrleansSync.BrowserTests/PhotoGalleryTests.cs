using Microsoft.Playwright;
using OrleansSync.Tests.Infrastructure;
using Xunit;
using static OrleansSync.BrowserTests.DemoPages;

namespace OrleansSync.BrowserTests;

/// <summary>
/// The photo gallery demo in real Chromium tabs against a real node: live fan-out to every tab of a user, catch-up
/// by replay after a network loss, the full sync past the retention window, and duplicate deliveries.
/// </summary>
public sealed class PhotoGalleryTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task A_photo_added_in_one_tab_appears_in_both_tabs_exactly_once()
    {
        await using var node = await StartNodeAsync();
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new() { Width = 1000, Height = 720 } });
        var first = await OpenGalleryAsync(context, node, "alice");
        var second = await OpenGalleryAsync(context, node, "alice");
        Assert.NotEqual(await first.EvaluateAsync<string>("() => photoDemo.connection.sessionId"),
            await second.EvaluateAsync<string>("() => photoDemo.connection.sessionId"));

        await AddPhotoAsync(first, "Sunset over the lagoon", "#e76f51");
        await WaitForCaptionsAsync(second, "Sunset over the lagoon");
        await AddPhotoAsync(second, "Harbour at dawn", "#264653");
        await AddPhotoAsync(first, "Olive grove", "#8ab17d");
        await RemovePhotoAsync(second, "Harbour at dawn");
        await AddPhotoAsync(second, "Lighthouse", "#e9c46a");

        foreach (var page in new[] { first, second })
        {
            await WaitForCaptionsAsync(page, "Sunset over the lagoon", "Olive grove", "Lighthouse");
            var applied = await AppliedEventIdsAsync(page);
            Assert.Equal(5, applied.Length); // 4 added + 1 removed, each once
            Assert.Equal(applied.Length, applied.Distinct().Count());
            Assert.Equal(1, await FullSyncsAsync(page)); // only the new tab's first sync
            await WaitAsync(page, "() => photoDemo.connection.stats.acks >= 5");
        }
        await SaveScreenshotAsync(first, "photos.png");
    }

    [Fact]
    public async Task A_tab_offline_within_the_retention_window_catches_up_by_replay_without_a_full_sync()
    {
        await using var node = await StartNodeAsync();
        await using var online = await browser.Browser.NewContextAsync();
        await using var offline = await browser.Browser.NewContextAsync();
        var writer = await OpenGalleryAsync(online, node, "bob");
        var traveller = await OpenGalleryAsync(offline, node, "bob");
        await AddPhotoAsync(writer, "Before");
        await WaitForCaptionsAsync(traveller, "Before");

        await LoseNetworkAsync(offline, traveller, node);
        await AddPhotoAsync(writer, "Train window");
        await AddPhotoAsync(writer, "Mountain pass");
        await RemovePhotoAsync(writer, "Before");
        await AddPhotoAsync(writer, "Station cafe");
        Assert.Equal(["Before"], await CaptionsAsync(traveller)); // it really missed them

        await offline.SetOfflineAsync(false);
        await WaitForCaptionsAsync(traveller, "Train window", "Mountain pass", "Station cafe");
        Assert.Equal(1, await FullSyncsAsync(traveller)); // caught up by replay: no second full sync
        Assert.True(await StatAsync(traveller, "connects") >= 2, "the tab reconnected");
        Assert.Equal(1, await traveller.EvaluateAsync<int>("() => photoDemo.connection.stats.authOk - 1")); // one resume
        var applied = await AppliedEventIdsAsync(traveller);
        Assert.Equal(5, applied.Length); // Before + 3 added + 1 removed
        Assert.Equal(applied.Length, applied.Distinct().Count());
    }

    [Fact]
    public async Task A_tab_offline_past_the_retention_window_runs_the_full_sync_and_shows_the_right_list()
    {
        await using var node = await StartNodeAsync(("Delivery:RetentionWindow", "00:00:01"), ("Cluster:HeartbeatInterval", "00:00:00.200"));
        await using var online = await browser.Browser.NewContextAsync();
        await using var offline = await browser.Browser.NewContextAsync();
        var writer = await OpenGalleryAsync(online, node, "dora");
        var sleeper = await OpenGalleryAsync(offline, node, "dora");
        await AddPhotoAsync(writer, "Old");
        await WaitForCaptionsAsync(sleeper, "Old");
        var sessionId = await sleeper.EvaluateAsync<string>("() => photoDemo.connection.sessionId");

        await LoseNetworkAsync(offline, sleeper, node);
        await RemovePhotoAsync(writer, "Old");
        await AddPhotoAsync(writer, "New one");
        await AddPhotoAsync(writer, "New two");
        await Eventually.TrueAsync(async () => await node.QueryScalarAsync(
            "SELECT COUNT(*) FROM sessions WHERE session_id = @id AND need_full_sync = @true", ("id", sessionId), ("true", true)) == 1,
            TimeSpan.FromSeconds(20), "the retention window expires and the session is flagged");

        await offline.SetOfflineAsync(false);
        await WaitForCaptionsAsync(sleeper, "New one", "New two");
        Assert.Equal(2, await FullSyncsAsync(sleeper));
        Assert.Equal(["need_full_sync", "need_full_sync"], await sleeper.EvaluateAsync<string[]>("() => photoDemo.fullSyncReasons"));
        Assert.Equal(sessionId, await sleeper.EvaluateAsync<string>("() => photoDemo.connection.sessionId")); // same session, flag reported
    }

    [Fact]
    public async Task A_duplicate_delivery_is_acked_but_not_applied_twice()
    {
        await using var node = await StartNodeAsync(("Delivery:RetryInterval", "00:00:00.3"));
        await using var context = await browser.Browser.NewContextAsync();
        // The first ack of every event is lost on its way out, so the server re-sends the event (same event_id).
        await context.AddInitScriptAsync("""
            (() => {
              const send = WebSocket.prototype.send;
              const dropped = new Set();
              window.droppedAcks = 0;
              WebSocket.prototype.send = function (data) {
                try {
                  const frame = JSON.parse(data);
                  if (frame && frame.type === 'ack' && !dropped.has(frame.event_id)) {
                    dropped.add(frame.event_id);
                    window.droppedAcks += 1;
                    return;
                  }
                } catch { /* not JSON (getId) */ }
                return send.call(this, data);
              };
            })();
            """);
        var page = await OpenGalleryAsync(context, node, "erin");
        var sessionId = await page.EvaluateAsync<string>("() => photoDemo.connection.sessionId");

        await AddPhotoAsync(page, "Twice sent");
        await WaitAsync(page, "() => photoDemo.connection.stats.duplicates >= 1 && window.droppedAcks >= 1");
        await Eventually.TrueAsync(async () => await node.QueryScalarAsync(
            "SELECT COUNT(*) FROM session_events WHERE session_id = @id", ("id", sessionId)) == 0,
            TimeSpan.FromSeconds(20), "the duplicate's ack empties the session's queue");

        Assert.Equal(["Twice sent"], await CaptionsAsync(page));
        Assert.Single(await AppliedEventIdsAsync(page));
        Assert.Equal(1, await StatAsync(page, "applied"));
    }
}
