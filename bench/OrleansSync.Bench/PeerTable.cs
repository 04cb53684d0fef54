using System.Globalization;
using System.Text;
using static OrleansSync.Bench.TableCells;

namespace OrleansSync.Bench;

/// <summary>
/// The node, the baseline and the peers (SignalR, Socket.IO) side by side, each figure with its ratio to the
/// baseline, and issue 17's targets: the node's p99 at the fixed rate and its memory per idle socket below the
/// better peer's, its acked deliveries/s at least 0.8 × the better peer's.
/// </summary>
public static class PeerTable
{
    private const double MinShareOfBestPeer = 0.8;

    /// <summary>What each server does for delivery: the peers track nothing and retry nothing.</summary>
    private static readonly Dictionary<string, string> Recovery = new(StringComparer.Ordinal)
    {
        ["node"] = "persists every event (SQLite), tracks each ack, re-sends every 3 s, replays on resume within 2 min",
        ["baseline"] = "nothing: acks read and dropped",
        ["signalr"] = "stateful reconnect: unacked invocations kept in memory per connection (replayed if the same connection reconnects); app acks ignored, no retry",
        ["socketio"] = "connection state recovery: every broadcast kept in memory 2 min (replayed on reconnect); app acks ignored, no retry",
    };

    public static string Render(IReadOnlyList<ServerFigures> servers, BenchOptions options)
    {
        var baseline = servers.FirstOrDefault(s => s.Server == "baseline");
        var node = servers.FirstOrDefault(s => s.Server == "node");
        var peers = servers.Where(s => s.Server is "signalr" or "socketio").ToArray();
        var text = new StringBuilder();
        text.AppendLine($"| measure | {string.Join(" | ", servers.Select(s => s.Server))} | target (issue 17) | result |");
        text.AppendLine($"|---|{string.Concat(servers.Select(_ => "---:|"))}---|---|");

        var bestPeerRate = Best(peers, s => s.DeliveriesPerSecond, highest: true);
        Row("acked deliveries/s at saturation", s => s.DeliveriesPerSecond, "F0",
            $"node ≥ {MinShareOfBestPeer} × the better peer", Compare(node, bestPeerRate, s => s.DeliveriesPerSecond, (n, p) => n >= MinShareOfBestPeer * p));
        Row("publishes/s at saturation", s => s.PublishesPerSecond, "F0");
        Row($"publish→receive p50 at {options.LatencyRate:F0}/s (ms)", s => s.P50Milliseconds, "F2");
        var bestPeerP99 = Best(peers, s => s.P99Milliseconds, highest: false);
        Row($"publish→receive p99 at {options.LatencyRate:F0}/s (ms)", s => s.P99Milliseconds, "F2",
            "node below the better peer", Compare(node, bestPeerP99, s => s.P99Milliseconds, (n, p) => n < p));
        if (options.Rounds > 1)
        {
            text.AppendLine($"| each round ({options.Rounds}; the rows above show medians): acked deliveries/s | {string.Join(" | ", servers.Select(s => PerRound(s.DeliveriesPerRound, "F0")))} | | |");
            text.AppendLine($"| each round: p99 at {options.LatencyRate:F0}/s (ms) | {string.Join(" | ", servers.Select(s => PerRound(s.P99PerRound, "F2")))} | | |");
        }
        // The p99 above counts from each publish's due time; these split off the generator's own part of it.
        text.AppendLine($"| the generator's lateness (due → request began), p50 / p99 at {options.LatencyRate:F0}/s (ms) | {string.Join(" | ", servers.Select(s => P50AndP99(s.LatenessMilliseconds)))} | | |");
        text.AppendLine($"| publish→receive from the request's start, p50 / p99 at {options.LatencyRate:F0}/s (ms) | {string.Join(" | ", servers.Select(s => P50AndP99(s.FromRequestMilliseconds)))} | | |");
        Row("achieved publish rate in that run (/s)", s => s.AchievedRate, "F0", ratios: false);
        Row("deliveries missing in that run", s => s.MissingDeliveries, "F0", "0", ratios: false);
        Row("deliveries missing after both runs (accepted publishes × sessions − acked deliveries)", s => s.LoadDeliveriesMissing, "F0", "0", ratios: false);
        Row("duplicate receipts (re-sends of events already acked), both runs", s => s.Duplicates, "F0", ratios: false);
        Row("sockets closed by the server during load", s => s.ServerClosedSockets, "F0", "0", ratios: false);
        Row("server CPU µs per acked delivery at saturation", s => ServerCpuPerDelivery(s), "F1");
        Row("load generator CPU µs per acked delivery at saturation", s => BenchCpuPerDelivery(s), "F1");
        Row($"load generator CPU µs per delivery at {options.LatencyRate:F0}/s (same deliveries for all)", s => BenchCpuPerDeliveryAtFixedRate(s, options.SessionsPerUser), "F1");
        text.AppendLine($"| cores used at saturation: server / load generator / other | {string.Join(" | ", servers.Select(Cores))} | | |");
        var bestPeerMemory = Best(peers, s => s.BytesPerIdleConnection, highest: false);
        Row($"RSS KiB per idle authenticated socket ({options.IdleBase}→{options.IdleTarget})", s => s.BytesPerIdleConnection / 1024, "F1",
            "node below the better peer", Compare(node, bestPeerMemory, s => s.BytesPerIdleConnection, (n, p) => n < p));
        text.AppendLine($"| {options.IdleTarget:N0} authenticated sockets held | {string.Join(" | ", servers.Select(s => Held(s, options)))} | all | |");
        text.AppendLine($"| what the server does for delivery | {string.Join(" | ", servers.Select(s => Recovery.GetValueOrDefault(s.Server, "")))} | | |");
        foreach (var figures in servers)
        {
            foreach (var problem in figures.Problems)
            {
                text.AppendLine($"\n{figures.Server}: {problem}");
            }
        }
        return text.ToString();

        void Row(string measure, Func<ServerFigures, double?> value, string format, string target = "", bool? pass = null, bool ratios = true)
        {
            var cells = servers.Select(s =>
            {
                var shown = Show(value(s), format);
                return ratios && s != baseline && Ratio(value(s), baseline is null ? null : value(baseline)) is { } r
                    ? $"{shown} ({r.ToString("F2", CultureInfo.InvariantCulture)}×)" : shown;
            });
            text.AppendLine($"| {measure} | {string.Join(" | ", cells)} | {target} | {Verdict(pass)} |");
        }
    }

    /// <summary>The best value among the peers that measured it, or null.</summary>
    private static double? Best(IEnumerable<ServerFigures> peers, Func<ServerFigures, double> value, bool highest)
    {
        var measured = peers.Select(value).Where(v => !double.IsNaN(v)).ToArray();
        return measured.Length == 0 ? null : highest ? measured.Max() : measured.Min();
    }

    private static bool? Compare(ServerFigures? node, double? bestPeer, Func<ServerFigures, double> value, Func<double, double, bool> passes) =>
        node is not null && !double.IsNaN(value(node)) && bestPeer is { } peer ? passes(value(node), peer) : null;
}
