namespace OrleansSync.Bench;

/// <summary>
/// Several rounds of the load phases (<c>--rounds N</c>): on a shared two-core machine one run of a server can differ
/// from the next by a quarter of its throughput and a third of its p99 (bench/README), so one run of each server says
/// little about which is ahead. Each round runs every server once, in an order rotated by one per round (whoever goes
/// first runs on the quietest machine); each server's figure is the median of its rounds, and every round's value is
/// kept for the table. The idle phase, whose figure barely varies, runs once per server after the rounds.
/// </summary>
public static class LoadRounds
{
    public static async Task<List<ServerFigures>> RunAsync(ServerBenchmark benchmark, BenchOptions options, IReadOnlyList<ServerUnderTest> servers)
    {
        var rounds = servers.ToDictionary(s => s.Name, _ => new List<ServerFigures>());
        for (var round = 0; round < options.Rounds; round++)
        {
            for (var i = 0; i < servers.Count; i++)
            {
                var server = servers[(i + round) % servers.Count];
                Console.WriteLine($"-- round {round + 1} of {options.Rounds}: {server.Name}");
                rounds[server.Name].Add(await benchmark.RunAsync(server, load: options.RunLoad, idle: false));
            }
        }
        var merged = servers.Select(s => Median(rounds[s.Name])).ToList();
        if (options.RunIdle)
        {
            foreach (var (server, figures) in servers.Zip(merged))
            {
                var idle = await benchmark.RunAsync(server, load: false, idle: true);
                figures.BytesPerIdleConnection = idle.BytesPerIdleConnection;
                figures.IdleOpened = idle.IdleOpened;
                figures.IdleDelivered = idle.IdleDelivered;
                figures.IdleHeld = idle.IdleHeld;
                figures.Problems.AddRange(idle.Problems);
            }
        }
        return merged;
    }

    /// <summary>
    /// One server's rounds as one set of figures: rates and latencies are medians (CPU and store figures come from the
    /// round with the median throughput), counts of lost, duplicate or failed deliveries are sums: a loss in any round shows.
    /// </summary>
    private static ServerFigures Median(List<ServerFigures> rounds)
    {
        var byRate = rounds.OrderBy(r => r.DeliveriesPerSecond).ToList();
        var middle = byRate[byRate.Count / 2];
        var figures = new ServerFigures(middle.Server)
        {
            DeliveriesPerSecond = MedianOf(rounds, r => r.DeliveriesPerSecond),
            PublishesPerSecond = MedianOf(rounds, r => r.PublishesPerSecond),
            SaturationCpu = middle.SaturationCpu,
            SaturationStore = middle.SaturationStore,
            AchievedRate = MedianOf(rounds, r => r.AchievedRate),
            P50Milliseconds = MedianOf(rounds, r => r.P50Milliseconds),
            P99Milliseconds = MedianOf(rounds, r => r.P99Milliseconds),
            FromRequestMilliseconds = (MedianOf(rounds, r => r.FromRequestMilliseconds.P50), MedianOf(rounds, r => r.FromRequestMilliseconds.P99)),
            LatenessMilliseconds = (MedianOf(rounds, r => r.LatenessMilliseconds.P50), MedianOf(rounds, r => r.LatenessMilliseconds.P99)),
            FixedRateCpu = middle.FixedRateCpu,
            MissingDeliveries = rounds.Sum(r => r.MissingDeliveries),
            FailedPublishes = rounds.Sum(r => r.FailedPublishes),
            LoadDeliveriesMissing = rounds.Sum(r => r.LoadDeliveriesMissing),
            Duplicates = rounds.Sum(r => r.Duplicates),
            ServerClosedSockets = rounds.Sum(r => r.ServerClosedSockets),
            SlowConsumerCloses = rounds.Sum(r => r.SlowConsumerCloses),
            DeliveriesPerRound = rounds.Select(r => r.DeliveriesPerSecond).ToArray(),
            P99PerRound = rounds.Select(r => r.P99Milliseconds).ToArray(),
        };
        for (var i = 0; i < rounds.Count; i++)
        {
            figures.Problems.AddRange(rounds[i].Problems.Select(p => $"round {i + 1}: {p}"));
        }
        return figures;
    }

    private static double MedianOf(List<ServerFigures> rounds, Func<ServerFigures, double> value)
    {
        var values = rounds.Select(value).Where(v => !double.IsNaN(v)).Order().ToArray();
        return values.Length == 0 ? double.NaN
            : values.Length % 2 == 1 ? values[values.Length / 2]
            : (values[values.Length / 2 - 1] + values[values.Length / 2]) / 2;
    }
}
