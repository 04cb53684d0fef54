using System.Diagnostics;
using Npgsql;
using OrleansSync.Bench.Wire;

namespace OrleansSync.Bench;

/// <summary>
/// The failover scenario (issue 16: kill -9 of a silo under load): every tab on the separate gateway, reconnecting and
/// resuming as a tab does; publishes at the fixed rate (<c>--rate</c>) through the silo that survives only, since a
/// publish in flight on the killed silo has no knowable outcome (it may be durable with its answer lost, and a retry
/// would be a second event with a new id); after <c>--warmup</c> the other silo is killed with SIGKILL, publishing
/// goes on for <c>--after-kill</c>, then every accepted publish must reach every session of its user. Reports each
/// publish's fate, duplicates, resumes, when membership declared the silo dead, and how long each tab went without
/// an event published after the kill.
/// </summary>
public sealed class FailoverRun(BenchOptions options, BenchTokens tokens, string apiKey)
{
    // Publishes for users whose grain was on the killed silo wait (retried by the node) until it is declared dead: room
    // for several seconds of the rate, so the schedule of everyone else's publishes is not held up by the client.
    private const int MaxPublishesInFlight = 8192;
    private const int HttpConnections = 1024;
    private const long FirstSeq = 1;
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(30);

    public async Task<FailoverFigures> RunAsync(string name, ServerProcess victim, Uri[] socketAddresses, Uri[] publishAddresses, Func<WireSession> newSession, PostgresDatabase database)
    {
        var failover = new FailoverStats();
        var stats = new DeliveryStats { Failover = failover };
        var fleet = new ClientFleet(socketAddresses, newSession, tokens, stats, options.SocketsByUser, reconnects: true);
        var sessions = options.SessionsPerUser;
        try
        {
            var started = Stopwatch.GetTimestamp();
            await fleet.ConnectAsync(0, options.Users, sessions, CancellationToken.None);
            ServerBenchmark.Say(name, $"{fleet.Count} clients authenticated on {string.Join(", ", socketAddresses.Select(a => a.Authority))} in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s; " +
                $"publishing {options.LatencyRate:F0}/s through {string.Join(", ", publishAddresses.Select(a => a.Authority))}");
            using var publisher = new Publisher(publishAddresses, apiKey, options.Users, HttpConnections, options.PublishesByUser);
            var count = (long)(options.LatencyRate * (options.Warmup + options.AfterKill).TotalSeconds);
            stats.CountPerSeq(FirstSeq, count);
            publisher.RecordAnswers(FirstSeq, count);
            started = Stopwatch.GetTimestamp();
            var publishing = publisher.RunOpenLoopAsync(FirstSeq, count, options.LatencyRate, MaxPublishesInFlight);
            await Task.WhenAny(publishing, Task.Delay(options.Warmup)); // the schedule: the kill comes after the steady period
            ServerBenchmark.Say(name, $"steady for {options.Warmup.TotalSeconds:F0} s: {publisher.Accepted} publishes accepted, {stats.Delivered} acked deliveries, " +
                $"{publisher.Failed} not accepted; kill -9 of the silo at {victim.BaseAddress.Authority} (pid {victim.ProcessId})");
            failover.MarkKill();
            await victim.KillAsync();
            using var stopWatching = new CancellationTokenSource();
            var declaredDead = WatchDeclaredDeadAsync(database, failover, stopWatching.Token);
            await publishing;
            var achievedRate = count / Stopwatch.GetElapsedTime(started).TotalSeconds;
            ServerBenchmark.Say(name, $"publishing over ({achievedRate:F0}/s achieved): {publisher.Accepted} accepted, {publisher.Failed} not; draining");
            long Missing() => Enumerable.Range(0, (int)count).Where(i => publisher.WasAccepted(FirstSeq + i))
                .Sum(i => (long)Math.Max(0, sessions - stats.DeliveriesOf(FirstSeq + i)));
            await ServerBenchmark.WaitUntilAsync(() => Missing() == 0, Drain);
            stopWatching.Cancel();

            var accepted = Enumerable.Range(0, (int)count).Select(i => FirstSeq + i).Where(publisher.WasAccepted).ToArray();
            var notAccepted = Enumerable.Range(0, (int)count).Select(i => FirstSeq + i).Where(seq => !publisher.WasAccepted(seq));
            var closes = failover.Closes();
            var resumes = failover.ResumeSeconds();
            var figures = new FailoverFigures
            {
                Tabs = fleet.Count,
                SessionsPerUser = sessions,
                Publishes = count,
                Rate = options.LatencyRate,
                AchievedRate = achievedRate,
                Accepted = accepted.Length,
                NotAccepted = count - accepted.Length,
                DistinctAcked = accepted.Sum(seq => (long)Math.Min(sessions, stats.DeliveriesOf(seq))),
                DeliveredNotAccepted = notAccepted.Sum(seq => (long)stats.DeliveriesOf(seq)),
                DuplicatesReceived = stats.Duplicates,
                DuplicatesApplied = stats.DuplicatesApplied,
                FullSyncs = failover.FullSyncs,
                Closes = [.. closes.GroupBy(c => c.Code is { } code ? $"{(int)code} {code}" : "none (dropped)")
                    .Select(g => (g.Key, g.Count(), g.Min(c => c.Seconds), g.Max(c => c.Seconds)))],
                ClosedAfterEvents = failover.ClosedAfterEvents,
                Resumes = resumes.Length,
                LastResume = resumes.Length == 0 ? null : resumes.Max(),
                FailedResumeAttempts = failover.FailedAttempts,
                DeclaredDeadAfter = await declaredDead,
                FirstEvent = [.. failover.FirstEventSeconds().Order()],
                ReceivingAgain = [.. failover.ReceivingAgainSeconds().Order()],
                SlowestPublishAnswer = publisher.SlowestAnswer,
                MembershipBound = options.KilledSiloDeclaredDeadWithin(),
            };
            ServerBenchmark.Say(name, $"{figures.Lost} of {figures.ExpectedDeliveries} deliveries lost, {figures.DuplicatesApplied} duplicates applied, " +
                $"{figures.DuplicatesReceived} received again, {figures.FullSyncs} need_full_sync, {figures.Resumes} resumes; " +
                $"{figures.FirstEvent.Length}/{figures.Tabs} tabs got an event published after the kill, {figures.ReceivingAgain.Length} on their last socket");
            return figures;
        }
        finally
        {
            await fleet.AbortAllAsync();
        }
    }

    /// <summary>Seconds after the kill at which the membership table first lists a dead silo (the database is the scenario's own, fresh).</summary>
    private static async Task<double?> WatchDeclaredDeadAsync(PostgresDatabase database, FailoverStats failover, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                if (await database.CountDeadSilosAsync(cancellationToken) > 0)
                {
                    return Stopwatch.GetElapsedTime(failover.KillTimestamp).TotalSeconds;
                }
            }
            catch (NpgsqlException)
            {
                // A busy server: the next poll tells.
            }
            catch (OperationCanceledException)
            {
                break;
            }
            try
            {
                await Task.Delay(100, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return null;
    }
}
