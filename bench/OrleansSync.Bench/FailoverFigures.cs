namespace OrleansSync.Bench;

/// <summary>What the failover scenario measured: every publish checked on its own, and each tab's way back after the kill.</summary>
public sealed class FailoverFigures
{
    public int Tabs { get; init; }
    public int SessionsPerUser { get; init; }
    public long Publishes { get; init; }
    public double Rate { get; init; }
    public double AchievedRate { get; init; }
    public long Accepted { get; init; }
    public long NotAccepted { get; init; }

    /// <summary>Accepted publishes × sessions per user.</summary>
    public long ExpectedDeliveries => Accepted * SessionsPerUser;

    /// <summary>Deliveries of accepted publishes, each session counted once per publish.</summary>
    public long DistinctAcked { get; init; }
    public long Lost => ExpectedDeliveries - DistinctAcked;

    /// <summary>Deliveries of publishes that were not answered 202 (refused, failed or timed out, yet delivered).</summary>
    public long DeliveredNotAccepted { get; init; }
    public long DuplicatesReceived { get; init; }
    public long DuplicatesApplied { get; init; }
    public long FullSyncs { get; init; }

    /// <summary>Closes the tabs saw after the kill, by code ("none" when dropped without a close frame), with their first and last moment.</summary>
    public IReadOnlyList<(string Code, int Count, double First, double Last)> Closes { get; init; } = [];
    /// <summary>Of those closes, the ones of sockets that had brought an event published after the kill first.</summary>
    public long ClosedAfterEvents { get; init; }
    public int Resumes { get; init; }
    public double? LastResume { get; init; }
    public long FailedResumeAttempts { get; init; }

    /// <summary>Seconds after the kill at which the membership table listed the killed silo dead (null: not seen).</summary>
    public double? DeclaredDeadAfter { get; init; }

    /// <summary>Seconds from the kill to each tab's first event published after it, sorted (tabs that never got one are missing).</summary>
    public double[] FirstEvent { get; init; } = [];

    /// <summary>
    /// The same from each tab's last socket: a tab closed after its first event (its grain lost after all) counts from
    /// the first such event its resumed socket brought, so this is when it was receiving again for good. Sorted.
    /// </summary>
    public double[] ReceivingAgain { get; init; } = [];
    public TimeSpan SlowestPublishAnswer { get; init; }
    public (TimeSpan Healthy, TimeSpan Worst) MembershipBound { get; init; }

    /// <summary>The documented bound plus 2 s, the allowance for the tab's way back.</summary>
    public TimeSpan RecoveryLimit => MembershipBound.Worst + TimeSpan.FromSeconds(2);

    public static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>Every tab was receiving again within <paramref name="limit"/> of the kill (the later of the two moments per tab).</summary>
    public bool EveryTabWithin(TimeSpan limit) => Tabs > 0 && ReceivingAgain.Length == Tabs && ReceivingAgain[^1] <= limit.TotalSeconds;

    /// <summary>Issue 16's target: no event lost, none applied twice, every tab receiving again within the bound + 2 s.</summary>
    public bool TargetMet => Lost == 0 && DuplicatesApplied == 0 && EveryTabWithin(RecoveryLimit);
}
