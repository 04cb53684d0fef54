using System.Net;
using System.Diagnostics.Metrics;
using OrleansSync.Diagnostics;
using OrleansSync.Gateway.Ops.Dashboard;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Ops;

/// <summary>/metrics over a real node and real sockets, read back with a strict parser of the text format.</summary>
public sealed class MetricsEndpointTests
{
    private const string Node = "metrics-node";

    private static async Task<PrometheusText> ScrapeAsync(TestNode node)
    {
        using var response = await node.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Counters_gauges_and_histograms_follow_real_traffic()
    {
        await using var node = await TestNode.StartAsync(("Delivery:RetryInterval", "00:00:00.200"), ("Node:Id", Node));
        var before = await ScrapeAsync(node);
        Assert.Equal("counter", before.Types["orleanssync_events_sent_total"]);
        // Histograms are exported from their first measurement on (checked after the traffic); the counters start at 0.
        Assert.Equal("gauge", before.Types["orleanssync_sockets_open"]);
        Assert.Equal("gauge", before.Types["dotnet_process_memory_working_set_bytes"]); // the runtime's own meter
        Assert.Equal(0, before.ValueOrZero("orleanssync_events_sent_total"));
        Assert.Equal(0, before.ValueOrZero("orleanssync_sockets_open", ("node", Node)));

        await using var tab = await node.ConnectAsync();
        await tab.AuthAsync(TestTokens.For("metrics-user"));

        // Published, received, acked at once.
        var (first, _) = await node.PublishOkAsync("metrics-user", new { type = "added", id = "p1" });
        var frame = await tab.NextMatchingAsync(f => f.GetProperty("event_id").GetString() == first);
        await tab.AckAsync(first);

        // Published, left unacked until the retry timer re-sends the identical frame, then acked.
        var (second, _) = await node.PublishOkAsync("metrics-user", new { type = "added", id = "p2" });
        await tab.NextMatchingAsync(f => f.GetProperty("event_id").GetString() == second);
        await tab.NextMatchingAsync(f => f.GetProperty("event_id").GetString() == second);
        await tab.AckAsync(second);

        // A malformed frame is rejected (the socket stays open).
        await tab.SendTextAsync("{not json");
        await tab.NextMatchingAsync(f => f.GetProperty("type").GetString() == "error");

        PrometheusText after = null!;
        await Eventually.TrueAsync(async () =>
        {
            after = await ScrapeAsync(node);
            return after.ValueOrZero("orleanssync_events_acked_total", ("node", Node)) == 2
                && after.ValueOrZero("orleanssync_queue_events", ("node", Node)) == 0;
        }, because: "both acks are counted and the queue is empty");

        Assert.Equal("histogram", after.Types["orleanssync_events_ack_latency_seconds"]);
        Assert.Equal(2, after.ValueOrZero("orleanssync_events_sent_total", ("node", Node)));
        Assert.True(after.ValueOrZero("orleanssync_events_resent_total", ("node", Node)) >= 1);
        Assert.Equal(2, after.ValueOrZero("orleanssync_events_ack_latency_seconds_count", ("node", Node)));
        // The re-sent event waited at least one retry interval (0.2 s) between its first send and its ack.
        Assert.True(after.ValueOrZero("orleanssync_events_ack_latency_seconds_sum", ("node", Node)) >= 0.2);
        Assert.True(after.ValueOrZero("orleanssync_events_ack_latency_seconds_bucket", ("node", Node), ("le", "0.1")) <= 1);
        Assert.Equal(2, after.ValueOrZero("orleanssync_events_ack_latency_seconds_bucket", ("node", Node), ("le", "120")));
        // The buckets are the ones SyncMetrics advises, not the exporter's defaults.
        Assert.Equal([.. SyncMetrics.AckLatencyBuckets, double.PositiveInfinity], after.Samples
            .Where(s => s.Name == "orleanssync_events_ack_latency_seconds_bucket")
            .Select(s => s.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(s.Labels["le"], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(1, after.ValueOrZero("orleanssync_sockets_open", ("node", Node)));
        Assert.Equal(1, after.ValueOrZero("orleanssync_sessions_attached", ("node", Node)));
        Assert.True(after.ValueOrZero("orleanssync_grains_active", ("node", Node), ("type", "session")) >= 1);
        Assert.Equal(1, after.ValueOrZero("orleanssync_grains_active", ("node", Node), ("type", "user")));
        Assert.Equal(1, after.ValueOrZero("orleanssync_frames_rejected_total", ("node", Node), ("reason", "bad_json")));
        Assert.True(after.ValueOrZero("orleanssync_store_batch_size_count", ("node", Node)) > 0);
        Assert.True(after.ValueOrZero("orleanssync_store_commit_duration_seconds_count", ("node", Node)) > 0);
        Assert.Equal(0, after.ValueOrZero("orleanssync_sessions_max_attempts_total"));

        // The socket goes: the gauges follow.
        await tab.DisposeAsync();
        await Eventually.TrueAsync(async () =>
        {
            var scrape = await ScrapeAsync(node);
            return scrape.ValueOrZero("orleanssync_sockets_open", ("node", Node)) == 0
                && scrape.ValueOrZero("orleanssync_sessions_attached", ("node", Node)) == 0;
        }, because: "the closed socket leaves the gauges");
    }

    [Fact]
    public async Task Max_attempts_and_full_sync_fallbacks_are_counted()
    {
        await using var node = await TestNode.StartAsync(("Delivery:RetryInterval", "00:00:00.100"), ("Delivery:MaxAttempts", "1"),
            ("Delivery:MaxQueuedPerSession", "1"), ("Node:Id", Node));
        // A tab that never acks: one re-send, then the session is closed and deleted.
        await using var silent = await node.ConnectAsync();
        await silent.AuthAsync(TestTokens.For("silent"));
        await node.PublishOkAsync("silent", new { type = "added", id = "x" });
        await silent.WaitClosedAsync();

        // A detached session whose queue overflows falls back to a full sync.
        await using var gone = await node.ConnectAsync();
        await gone.AuthAsync(TestTokens.For("overflow"));
        gone.Abort();
        await Eventually.TrueAsync(async () => (await ScrapeAsync(node)).ValueOrZero("orleanssync_sessions_attached") == 0);
        await node.PublishOkAsync("overflow", new { type = "added", id = "1" });
        await node.PublishOkAsync("overflow", new { type = "added", id = "2" });

        await Eventually.TrueAsync(async () =>
        {
            var scrape = await ScrapeAsync(node);
            return scrape.ValueOrZero("orleanssync_sessions_max_attempts_total", ("node", Node)) == 1
                && scrape.ValueOrZero("orleanssync_sessions_full_sync_flagged_total", ("node", Node), ("reason", "queue_overflow")) == 1;
        }, because: "the give-up and the overflow are counted");
    }

    [Fact]
    public async Task Orleans_own_meter_is_exported_only_when_asked_for()
    {
        await using var quiet = await TestNode.StartAsync();
        await using var told = await TestNode.StartAsync(("Metrics:Orleans", "true"));
        foreach (var node in new[] { quiet, told })
        {
            await using var tab = await node.ConnectAsync();
            await tab.AuthAsync(TestTokens.For("orla")); // grain calls: Orleans has something to count
        }
        static bool HasOrleansSeries(PrometheusText text) => text.Types.Keys.Any(family => family.StartsWith("orleans_", StringComparison.Ordinal));
        Assert.False(HasOrleansSeries(await ScrapeAsync(quiet)));
        await Eventually.TrueAsync(async () => HasOrleansSeries(await ScrapeAsync(told)), because: "Orleans' meter on /metrics with Metrics:Orleans=true");
        Assert.Contains("orleanssync_events_sent_total", (await ScrapeAsync(told)).Types.Keys);
    }

    [Fact]
    public async Task Metrics_can_be_switched_off()
    {
        await using var node = await TestNode.StartAsync(("Metrics:Enabled", "false"));
        using var response = await node.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await using var tab = await node.ConnectAsync();
        await tab.AuthAsync(TestTokens.For("quiet"));
        var (eventId, _) = await node.PublishOkAsync("quiet", new { type = "added" });
        Assert.Equal(eventId, (await tab.NextAsync()).GetProperty("event_id").GetString());
    }

    [Fact]
    public async Task Label_values_and_help_are_escaped_and_names_mapped()
    {
        await using var node = await TestNode.StartAsync(("Node:Id", Node));
        // Instruments of our own on the node's meter: they reach /metrics like the node's, through the exporter.
        var meter = node.Service<SyncMetrics>().Meter!;
        KeyValuePair<string, object?> tag = new("node", "n1");
        meter.CreateCounter<long>("demo.requests", "{request}", "Requests \\ with\nnewline").Add(3, new("path", "a\"b\\c\nd"), tag);
        var wait = meter.CreateHistogram("demo.wait", "s", "Wait.", tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });
        wait.Record(0.05, tag);
        wait.Record(0.5, tag);
        wait.Record(2, tag);
        meter.CreateObservableGauge("demo.level-now", () => double.PositiveInfinity, "By");

        var parsed = await ScrapeAsync(node);

        var sample = Assert.Single(parsed.Samples, s => s.Name == "demo_requests_total");
        Assert.Equal("a\"b\\c\nd", sample.Labels["path"]);
        Assert.Equal("counter", parsed.Types["demo_requests_total"]);
        Assert.Equal("Requests \\ with\nnewline", parsed.Help["demo_requests_total"]);
        Assert.Equal("histogram", parsed.Types["demo_wait_seconds"]);
        Assert.Equal(3, parsed.ValueOrZero("demo_wait_seconds_count"));
        Assert.Equal(1, parsed.ValueOrZero("demo_wait_seconds_bucket", ("le", "0.1")));
        Assert.Equal(2, parsed.ValueOrZero("demo_wait_seconds_bucket", ("le", "1")));
        Assert.Equal(2.55, parsed.ValueOrZero("demo_wait_seconds_sum"), 9);
        Assert.Equal("gauge", parsed.Types["demo_level_now_bytes"]);
        Assert.Equal(double.PositiveInfinity, parsed.ValueOrZero("demo_level_now_bytes"));
    }

    [Fact]
    public async Task Nodes_sharing_a_process_export_only_their_own_series()
    {
        await using var first = await TestNode.StartAsync(("Node:Id", "metrics-first"));
        await using var second = await TestNode.StartAsync(("Node:Id", "metrics-second"));
        foreach (var (node, id) in new[] { (first, "metrics-first"), (second, "metrics-second") })
        {
            var scrape = await ScrapeAsync(node);
            var own = scrape.Samples.Where(s => s.Name.StartsWith("orleanssync_", StringComparison.Ordinal)).ToList();
            Assert.Contains(own, s => s.Name == "orleanssync_events_sent_total");
            Assert.All(own, s => Assert.Equal(id, s.Labels["node"]));
        }
    }

    [Fact]
    public void The_strict_parser_rejects_what_scrapers_reject()
    {
        Assert.Throws<FormatException>(() => PrometheusText.Parse("x_total 1\n")); // no TYPE
        Assert.Throws<FormatException>(() => PrometheusText.Parse("# TYPE x counter\nx{a=\"\\q\"} 1\n")); // bad escape
        Assert.Throws<FormatException>(() => PrometheusText.Parse("# TYPE x counter\nx 1\n# TYPE x counter\n")); // family twice
        Assert.Throws<FormatException>(() => PrometheusText.Parse("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"));
        Assert.Throws<FormatException>(() => PrometheusText.Parse("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n"));
    }

    [Fact]
    public void Percentiles_interpolate_within_buckets()
    {
        double[] bounds = [0.01, 0.1, 1];
        Assert.Null(HistogramMath.Percentile(bounds, [0, 0, 0, 0], 0.5));
        Assert.Equal(0.055, HistogramMath.Percentile(bounds, [0, 10, 0, 0], 0.5)!.Value, 6);
        Assert.Equal(1, HistogramMath.Percentile(bounds, [0, 0, 0, 4], 0.99));
    }
}
