using System.Globalization;
using System.Text;

namespace OrleansSync.Bench;

/// <summary>The cluster scenarios side by side, with the issue's target: N nodes keep ≥ 0.7 × the single-node SQLite deliveries/s.</summary>
public static class ClusterTable
{
    private const double MinShareOfSingleSqlite = 0.7;

    public static string Render(IReadOnlyList<ServerFigures> scenarios, BenchOptions options)
    {
        var reference = scenarios.FirstOrDefault(s => s.Server == "sqlite1");
        var text = new StringBuilder();
        text.AppendLine($"| scenario | acked deliveries/s at saturation | publishes/s | vs sqlite1 | p50 at {options.LatencyRate:F0}/s (ms) | p99 (ms) | achieved rate | missing | duplicates | " +
            "cores at saturation: nodes / postgres / load gen / other | group commits/s, writes per commit, mean commit (ms) | postgres commits/s, commits and rows written per delivery | target |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|");
        foreach (var s in scenarios)
        {
            var share = reference is null || s == reference ? (double?)null : s.DeliveriesPerSecond / reference.DeliveriesPerSecond;
            var target = share is { } r && s.Server.StartsWith("postgres", StringComparison.Ordinal) && s.Server is not ("postgres1" or "postgresgw")
                ? $"≥ {MinShareOfSingleSqlite} × sqlite1: {(r >= MinShareOfSingleSqlite ? "PASS" : "FAIL")}" : "";
            var cpu = s.SaturationCpu is { } c ? F($"{c.Servers:F2} / {c.Postgres:F2} / {c.Bench:F2} / {c.Other:F2}") : "-";
            var store = s.SaturationStore is { } w ? F($"{w.CommitsPerSecond:F0}, {w.WritesPerCommit:F1}, {w.MeanCommitMilliseconds:F2}") : "-";
            var postgres = s.PostgresPerDelivery is { } p ? F($"{s.PostgresCommitsPerSecond:F0}, {p.Commits:F2}, {p.Rows:F2}") : "-";
            var shown = share is { } x ? x.ToString("F2", CultureInfo.InvariantCulture) : "";
            text.AppendLine(F($"| {s.Server} | {s.DeliveriesPerSecond:F0} | {s.PublishesPerSecond:F0} | {shown} | ") +
                F($"{s.P50Milliseconds:F2} | {s.P99Milliseconds:F2} | {s.AchievedRate:F0} | {s.MissingDeliveries} | {s.Duplicates} | {cpu} | {store} | {postgres} | {target} |"));
        }
        foreach (var s in scenarios)
        {
            foreach (var problem in s.Problems)
            {
                text.AppendLine($"\n{s.Server}: {problem}");
            }
        }
        return text.ToString();
    }

    private static string F(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
