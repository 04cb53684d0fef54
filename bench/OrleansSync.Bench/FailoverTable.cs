using System.Globalization;
using System.Text;

namespace OrleansSync.Bench;

/// <summary>
/// The failover scenario's figures, one table per run, with issue 16's target: 0 events lost, and every tab receiving
/// new events again within the documented membership bound + 2 s.
/// </summary>
public static class FailoverTable
{
    public static string Render(IReadOnlyList<ServerFigures> scenarios)
    {
        var text = new StringBuilder();
        foreach (var s in scenarios)
        {
            var f = s.Failover!;
            var bound = f.MembershipBound;
            text.AppendLine(F($"\n{s.Server}: {f.Tabs} tabs on the separate gateway, {f.Rate:F0} publishes/s through the surviving silo; times in seconds after the kill"));
            text.AppendLine();
            text.AppendLine("| measure | value | target | |");
            text.AppendLine("|---|---:|---|---|");
            Row(F($"publishes accepted / not accepted (of {f.Publishes}; achieved {f.AchievedRate:F0}/s)"), F($"{f.Accepted} / {f.NotAccepted}"), "", "");
            Row(F($"deliveries expected (accepted × {f.SessionsPerUser} sessions) / distinct acked"), F($"{f.ExpectedDeliveries} / {f.DistinctAcked}"), "", "");
            Row("events lost", F($"{f.Lost}"), "0", Verdict(f.Lost == 0));
            Row("duplicates applied (a publish under a second event id)", F($"{f.DuplicatesApplied}"), "0", Verdict(f.DuplicatesApplied == 0));
            Row("duplicates received (re-sends, replays; dropped by event id)", F($"{f.DuplicatesReceived}"), "", "");
            Row("deliveries of publishes not accepted", F($"{f.DeliveredNotAccepted}"), "", "");
            Row("resumes answered need_full_sync (or a new session)", F($"{f.FullSyncs}"), "0", Verdict(f.FullSyncs == 0));
            Row("killed silo listed dead in the membership table (polled every 0.1 s)", Seconds(f.DeclaredDeadAfter),
                F($"≤ {bound.Healthy.TotalSeconds:F0} healthy, ≤ {bound.Worst.TotalSeconds:F0} worst"), "");
            foreach (var (code, count, first, last) in f.Closes)
            {
                Row($"tabs' sockets ended: {code} (first – last)", F($"{count} ({first:F2} – {last:F2})"), "", "");
            }
            Row("of those, sockets that had brought events published after the kill first (grain alive, lost later)", F($"{f.ClosedAfterEvents}"), "", "");
            Row("resumes (last auth_ok) / failed attempts", F($"{f.Resumes} ({Seconds(f.LastResume)}) / {f.FailedResumeAttempts}"), "", "");
            Row("slowest publish answer", F($"{f.SlowestPublishAnswer.TotalSeconds:F2}"), "", "");
            Row("tabs that received an event published after the kill: at all / on their last socket", F($"{f.FirstEvent.Length} / {f.ReceivingAgain.Length} of {f.Tabs}"), "all",
                Verdict(f.ReceivingAgain.Length == f.Tabs));
            Row("first event published after the kill, over tabs: p50 / p99 / max", Spread(f.FirstEvent), Limit(f), Verdicts(f, f.FirstEvent));
            Row("the same on each tab's last socket (receiving again for good): p50 / p99 / max", Spread(f.ReceivingAgain), Limit(f), Verdicts(f, f.ReceivingAgain));
            text.AppendLine();
            text.AppendLine(F($"{s.Server}: issue 16 target (0 events lost, none applied twice, every tab receiving again within {f.RecoveryLimit.TotalSeconds:F0} s of the kill): ") +
                (f.TargetMet ? "MET" : "NOT MET"));
        }
        foreach (var s in scenarios)
        {
            foreach (var problem in s.Problems)
            {
                text.AppendLine($"\n{s.Server}: {problem}");
            }
        }
        return text.ToString();

        void Row(string measure, string value, string target, string verdict) => text.AppendLine($"| {measure} | {value} | {target} | {verdict} |");
    }

    private static string Verdict(bool pass) => TableCells.Verdict(pass);

    private static string Spread(double[] sorted) => sorted.Length == 0 ? "-"
        : F($"{FailoverFigures.Percentile(sorted, 0.50):F2} / {FailoverFigures.Percentile(sorted, 0.99):F2} / {sorted[^1]:F2}");

    private static string Limit(FailoverFigures f) => F($"max ≤ {f.MembershipBound.Worst.TotalSeconds:F0} + 2 = {f.RecoveryLimit.TotalSeconds:F0}");

    /// <summary>Against the documented bound + 2 s, and, for information, against the healthy-survivor bound + 2 s.</summary>
    private static string Verdicts(FailoverFigures f, double[] sorted)
    {
        if (sorted.Length < f.Tabs || sorted.Length == 0)
        {
            return Verdict(false);
        }
        var healthy = f.MembershipBound.Healthy.TotalSeconds + 2;
        return Verdict(sorted[^1] <= f.RecoveryLimit.TotalSeconds) + F($" (healthy-survivor bound {f.MembershipBound.Healthy.TotalSeconds:F0} + 2 = {healthy:F0}: {Verdict(sorted[^1] <= healthy)})");
    }

    private static string Seconds(double? value) => value is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) : "-";

    private static string F(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
