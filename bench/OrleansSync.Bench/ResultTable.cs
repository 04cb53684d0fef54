using System.Globalization;
using System.Text;
using static OrleansSync.Bench.TableCells;

namespace OrleansSync.Bench;

/// <summary>The node-vs-baseline table with the issue's targets, as Markdown (readable in a terminal too).</summary>
public static class ResultTable
{
    private const double MaxKilobytesPerIdleConnection = 12;

    /// <summary>Issue 15's throughput target for the node on Orleans (the home-made runtime's was 0.5).</summary>
    private const double MinShareOfBaseline = 0.6;

    public static string Render(ServerFigures? node, ServerFigures? baseline, BenchOptions options)
    {
        var text = new StringBuilder();
        text.AppendLine($"| measure | node | baseline | node/baseline | target | result |");
        text.AppendLine("|---|---:|---:|---:|---|---|");
        Row(text, "acked deliveries/s at saturation", node?.DeliveriesPerSecond, baseline?.DeliveriesPerSecond, "F0",
            $"≥ {MinShareOfBaseline} × baseline", Ratio(node?.DeliveriesPerSecond, baseline?.DeliveriesPerSecond) is { } r1 ? r1 >= MinShareOfBaseline : null);
        Row(text, "publishes/s at saturation", node?.PublishesPerSecond, baseline?.PublishesPerSecond, "F0", "", null);
        Row(text, $"publish→receive p50 at {options.LatencyRate:F0}/s (ms)", node?.P50Milliseconds, baseline?.P50Milliseconds, "F2", "", null);
        Row(text, $"publish→receive p99 at {options.LatencyRate:F0}/s (ms)", node?.P99Milliseconds, baseline?.P99Milliseconds, "F2",
            "≤ 2 × baseline", Ratio(node?.P99Milliseconds, baseline?.P99Milliseconds) is { } r2 ? r2 <= 2 : null);
        if (options.Rounds > 1)
        {
            text.AppendLine($"| each round ({options.Rounds}; the rows above show medians): acked deliveries/s | {PerRound(node?.DeliveriesPerRound, "F0")} | {PerRound(baseline?.DeliveriesPerRound, "F0")} | | | |");
            text.AppendLine($"| each round: p99 at {options.LatencyRate:F0}/s (ms) | {PerRound(node?.P99PerRound, "F2")} | {PerRound(baseline?.P99PerRound, "F2")} | | | |");
        }
        // The p99 above counts from each publish's due time; these split off the generator's own part of it.
        text.AppendLine($"| the generator's lateness (due → request began), p50 / p99 at {options.LatencyRate:F0}/s (ms) | {P50AndP99(node?.LatenessMilliseconds)} | {P50AndP99(baseline?.LatenessMilliseconds)} | | | |");
        text.AppendLine($"| publish→receive from the request's start, p50 / p99 at {options.LatencyRate:F0}/s (ms) | {P50AndP99(node?.FromRequestMilliseconds)} | {P50AndP99(baseline?.FromRequestMilliseconds)} | | | |");
        Row(text, "achieved publish rate in that run (/s)", node?.AchievedRate, baseline?.AchievedRate, "F0", "", null);
        Row(text, "duplicate receipts (re-sends of events already acked), both runs", node?.Duplicates, baseline?.Duplicates, "F0", "", null);
        Row(text, "deliveries missing in that run", node?.MissingDeliveries, baseline?.MissingDeliveries, "F0", "0", null);
        Row(text, "sockets closed by the server (4004 slow consumer)", node?.ServerClosedSockets, baseline?.ServerClosedSockets, "F0", "0", null,
            $" ({node?.SlowConsumerCloses.ToString(CultureInfo.InvariantCulture) ?? "-"} / {baseline?.SlowConsumerCloses.ToString(CultureInfo.InvariantCulture) ?? "-"})");
        Row(text, "server CPU µs per acked delivery at saturation", ServerCpuPerDelivery(node), ServerCpuPerDelivery(baseline), "F1", "", null);
        text.AppendLine($"| cores used at saturation: server / load generator / other | {Cores(node)} | {Cores(baseline)} | | | |");
        if (node?.SaturationStore is { } store)
        {
            text.AppendLine(FormattableString.Invariant(
                $"| node store at saturation: group commits/s, writes per commit, mean commit ms | {store.CommitsPerSecond:F0}, {store.WritesPerCommit:F1}, {store.MeanCommitMilliseconds:F2} | | | | |"));
        }
        Row(text, $"RSS KiB per idle authenticated socket ({options.IdleBase}→{options.IdleTarget})", node?.BytesPerIdleConnection / 1024,
            baseline?.BytesPerIdleConnection / 1024, "F1", $"node ≤ {MaxKilobytesPerIdleConnection} KB",
            node is null || double.IsNaN(node.BytesPerIdleConnection) ? null : node.BytesPerIdleConnection / 1024 <= MaxKilobytesPerIdleConnection);
        text.AppendLine($"| {options.IdleTarget:N0} authenticated sockets held | {Held(node, options)} | {Held(baseline, options)} | | node holds all | {Verdict(node is null ? null : node.IdleHeld)} |");
        foreach (var figures in new[] { node, baseline })
        {
            foreach (var problem in figures?.Problems ?? [])
            {
                text.AppendLine($"\n{figures!.Server}: {problem}");
            }
        }
        return text.ToString();
    }

    private static void Row(StringBuilder text, string measure, double? node, double? baseline, string format, string target, bool? pass, string suffix = "")
    {
        var ratio = Ratio(node, baseline);
        text.AppendLine($"| {measure} | {Show(node, format)} | {Show(baseline, format)} | {(ratio is { } r ? r.ToString("F2", CultureInfo.InvariantCulture) : "")} | {target} | {Verdict(pass)}{suffix} |");
    }
}
