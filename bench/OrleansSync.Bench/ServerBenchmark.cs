using System.Diagnostics;
using OrleansSync.Bench.Wire;

namespace OrleansSync.Bench;

/// <summary>Runs every phase against one server: saturation, fixed rate, then idle connections on a fresh process.</summary>
public sealed class ServerBenchmark(BenchOptions options, BenchTokens tokens, string signingKey, string apiKey, string workDirectory)
{
    private const int OpenLoopMaxInFlight = 256;

    public Task<ServerFigures> RunAsync(ServerUnderTest server) => RunAsync(server, options.RunLoad, options.RunIdle);

    /// <summary>The phases asked for: the load phases (saturation, fixed rate), the idle phase, or both.</summary>
    public async Task<ServerFigures> RunAsync(ServerUnderTest server, bool load, bool idle)
    {
        var figures = new ServerFigures(server.Name);
        if (load)
        {
            await RunPhaseAsync(server, figures, "load phases", RunLoadAsync);
        }
        if (idle)
        {
            await RunPhaseAsync(server, figures, "idle phase", RunIdleAsync);
        }
        return figures;
    }

    /// <summary>A failed phase is reported in the figures and the log; the next phase still runs.</summary>
    private async Task RunPhaseAsync(ServerUnderTest server, ServerFigures figures, string phase, Func<ServerUnderTest, ServerFigures, Task> run)
    {
        try
        {
            await run(server, figures);
        }
        catch (Exception exception)
        {
            figures.Problems.Add($"{phase}: {exception.Message}");
            Say(server.Name, $"{phase} failed: {exception}");
        }
    }

    private async Task RunLoadAsync(ServerUnderTest server, ServerFigures figures)
    {
        await using var process = await server.StartAsync(signingKey, apiKey, workDirectory, options.ServerEnvironment);
        await MeasureLoadAsync(server.Name, [process], server.NewSession, null, figures);
    }

    /// <summary>
    /// A cluster scenario: starts every node (one after another, so migrations never race), then runs the same load
    /// phases with clients and publishes spread over the nodes; or, when a node is to be killed, the failover run.
    /// </summary>
    public async Task<ServerFigures> RunScenarioAsync(string scenario, IReadOnlyList<ServerUnderTest> nodes, PostgresDatabase? database)
    {
        var figures = new ServerFigures(scenario);
        var processes = new List<ServerProcess>();
        try
        {
            if (database is not null)
            {
                await database.CreateAsync();
            }
            foreach (var node in nodes)
            {
                processes.Add(await node.StartAsync(signingKey, apiKey, workDirectory, options.ServerEnvironment));
            }
            var socketAddresses = processes.Where((_, i) => nodes[i].TakesSockets).Select(p => p.BaseAddress).ToArray();
            var publishAddresses = processes.Where((_, i) => nodes[i].TakesPublishes).Select(p => p.BaseAddress).ToArray();
            if (processes.Where((_, i) => nodes[i].KilledDuringRun).FirstOrDefault() is { } victim)
            {
                figures.Failover = await new FailoverRun(options, tokens, apiKey).RunAsync(scenario, victim, socketAddresses, publishAddresses, nodes[0].NewSession,
                    database ?? throw new ArgumentException("a failover scenario runs on PostgreSQL (membership in the database)"));
            }
            else
            {
                await MeasureLoadAsync(scenario, processes, nodes[0].NewSession, database, figures, socketAddresses, publishAddresses);
            }
        }
        catch (Exception exception)
        {
            figures.Problems.Add("load phases: " + exception.Message);
            Say(scenario, "load phases failed: " + exception);
        }
        finally
        {
            foreach (var process in processes)
            {
                await process.DisposeAsync();
            }
            if (database is not null)
            {
                try
                {
                    await database.DropAsync();
                }
                catch (Exception exception)
                {
                    Say(scenario, "could not drop the scenario's database: " + exception.Message);
                }
            }
        }
        return figures;
    }

    /// <summary>Saturation, then the fixed-rate run, against one server or several (clients and publishes spread over them).</summary>
    private async Task MeasureLoadAsync(string name, IReadOnlyList<ServerProcess> servers, Func<WireSession> newSession, PostgresDatabase? database, ServerFigures figures,
        Uri[]? socketAddresses = null, Uri[]? publishAddresses = null)
    {
        var stats = new DeliveryStats();
        var fleet = new ClientFleet(socketAddresses ?? servers.Select(s => s.BaseAddress).ToArray(), newSession, tokens, stats, options.SocketsByUser);
        var sessions = options.SessionsPerUser;
        var started = Stopwatch.GetTimestamp();
        await fleet.ConnectAsync(0, options.Users, sessions, CancellationToken.None);
        Say(name, $"{fleet.Count} clients authenticated in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
        var baseAddresses = publishAddresses ?? servers.Select(s => s.BaseAddress).ToArray();
        using var publisher = new Publisher(baseAddresses, apiKey, options.Users, options.HttpConnections, options.PublishesByUser);
        var cpu = new CpuSampler(servers.Select(s => s.ProcessId).ToArray(), database is null ? null : options.PostgresPid);

        // Saturation: as fast as the server completes deliveries, with a bounded number of events in flight.
        var window = new PublishWindow(options.EventsInFlight);
        stats.Window = window;
        var seq = await publisher.RunClosedLoopAsync(1, options.Warmup, options.HttpConnections, sessions, window);
        var deliveredBefore = stats.Delivered;
        var firstMeasured = seq;
        var storeBefore = await NodeStoreMetrics.ReadAsync(baseAddresses);
        var postgresBefore = database is null ? (PostgresReading?)null : await database.ReadAsync();
        var cpuBefore = cpu.Read();
        started = Stopwatch.GetTimestamp();
        seq = await publisher.RunClosedLoopAsync(seq, options.Saturation, options.HttpConnections, sessions, window);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var delivered = stats.Delivered - deliveredBefore;
        figures.SaturationCpu = CpuSampler.Between(cpuBefore, cpu.Read());
        var storeAfter = await NodeStoreMetrics.ReadAsync(baseAddresses);
        if (storeBefore is { } before && storeAfter is { } after)
        {
            figures.SaturationStore = NodeStoreMetrics.Between(before, after, elapsed);
        }
        figures.DeliveriesPerSecond = delivered / elapsed;
        figures.PublishesPerSecond = (seq - firstMeasured) / elapsed;
        Say(name, $"saturation: {figures.DeliveriesPerSecond:F0} acked deliveries/s ({figures.PublishesPerSecond:F0} publishes/s); cores used: {figures.SaturationCpu}, {figures.SaturationCpu.Value.ContextSwitchesPerSecond / Math.Max(1, figures.DeliveriesPerSecond):F1} per delivery");
        if (figures.SaturationStore is { } store)
        {
            Say(name, $"saturation store: {store.CommitsPerSecond:F0} group commits/s, {store.WritesPerCommit:F1} writes per commit, mean commit {store.MeanCommitMilliseconds:F2} ms");
        }
        await WaitUntilAsync(() => stats.Delivered >= (seq - 1) * sessions, TimeSpan.FromSeconds(15));
        if (database is not null && postgresBefore is { } pgBefore)
        {
            // After the in-flight events are acked, and a pause for the backends' counters to be flushed (about once a second).
            await Task.Delay(1500);
            var activity = await database.ReadAsync() - pgBefore;
            var deliveries = stats.Delivered - deliveredBefore;
            figures.PostgresPerDelivery = (activity.Commits / (double)deliveries, (activity.Inserted + activity.Updated + activity.Deleted) / (double)deliveries);
            figures.PostgresCommitsPerSecond = activity.Commits / Stopwatch.GetElapsedTime(started).TotalSeconds; // window + drain + pause
            Say(name, $"postgres in the saturation window (+ drain, {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s): {activity.Commits} commits ({figures.PostgresCommitsPerSecond:F0}/s), {activity.Rollbacks} rollbacks, " +
                $"{activity.Inserted} rows inserted, {activity.Updated} updated, {activity.Deleted} deleted, for {deliveries} deliveries: " +
                $"{figures.PostgresPerDelivery.Value.Commits:F2} commits and {figures.PostgresPerDelivery.Value.Rows:F2} rows written per delivery");
        }
        stats.Window = null;

        // Fixed rate: latency from the moment each publish was due to the moment its socket received it.
        var count = (long)(options.LatencyRate * options.LatencyRun.TotalSeconds);
        stats.Samples = options.SamplesFile is null ? null : new LatencySamples(checked((int)(count * sessions)));
        stats.RecordLatencyFor(seq, seq + count);
        stats.RequestStartOf = publisher.RequestStartOf;
        var listsBefore = await NodeStoreMetrics.ReadAsync(baseAddresses);
        // The generator's own collections pause all its threads, and a pause in the window would be counted as the
        // target's latency (blocking gen2 collections of 10-12 ms, twice per window, were every target's largest delays
        // until 2026-12-07 20:50): the GC holds off for the window.
        var heldOff = GeneratorGc.TryHoldOff();
        cpuBefore = cpu.Read();
        var generatorGc = GeneratorGc.Read();
        started = Stopwatch.GetTimestamp();
        await publisher.RunOpenLoopAsync(seq, count, options.LatencyRate, OpenLoopMaxInFlight, options.EvenSchedule);
        var windowGc = GeneratorGc.Read() - generatorGc;
        GeneratorGc.Resume();
        figures.AchievedRate = count / Stopwatch.GetElapsedTime(started).TotalSeconds;
        figures.FixedRateCpu = CpuSampler.Between(cpuBefore, cpu.Read());
        var expected = count * sessions;
        await WaitUntilAsync(() => stats.Latency.Count >= expected, TimeSpan.FromSeconds(15));
        figures.MissingDeliveries = expected - stats.Latency.Count;
        figures.P50Milliseconds = stats.Latency.Percentile(0.50) / 1000;
        figures.P99Milliseconds = stats.Latency.Percentile(0.99) / 1000;
        figures.LatenessMilliseconds = (publisher.Lateness.Percentile(0.50) / 1000, publisher.Lateness.Percentile(0.99) / 1000);
        figures.FromRequestMilliseconds = (stats.LatencyFromRequest.Percentile(0.50) / 1000, stats.LatencyFromRequest.Percentile(0.99) / 1000);
        Say(name, $"at {options.LatencyRate:F0} publishes/s (achieved {figures.AchievedRate:F0}): p50 {figures.P50Milliseconds:F2} ms, p99 {figures.P99Milliseconds:F2} ms, missing {figures.MissingDeliveries}; " +
            $"from the request's start p50 {figures.FromRequestMilliseconds.P50:F2} ms, p99 {figures.FromRequestMilliseconds.P99:F2} ms; " +
            $"generator lateness p50 {figures.LatenessMilliseconds.P50:F2} ms, p99 {figures.LatenessMilliseconds.P99:F2} ms; cores used: {figures.FixedRateCpu}");
        Say(name, $"at {options.LatencyRate:F0} publishes/s, the tail (ms): {stats.Latency.Tail()}; from the request's start: {stats.LatencyFromRequest.Tail()}");
        Say(name, $"at {options.LatencyRate:F0} publishes/s, the load generator's own GC in the window ({(heldOff ? "held off" : "NOT held off")}): {windowGc}");
        if (stats.Samples is { } samples)
        {
            var path = Path.ChangeExtension(options.SamplesFile!, null) + $"-{name}-{DateTime.Now:HHmmss}" + Path.GetExtension(options.SamplesFile);
            await samples.WriteAsync(path);
            stats.Samples = null;
            Say(name, $"every delivery of the {options.LatencyRate:F0}/s window written to {path}");
        }
        if (listsBefore is { } listsStart && await NodeStoreMetrics.ReadAsync(baseAddresses) is { } listsEnd)
        {
            Say(name, $"at {options.LatencyRate:F0} publishes/s, {listsEnd.ListReadShare(listsStart):P1} of the publishes read their user's session list from the store (the others used the list the user's grain keeps)");
        }

        await WaitUntilAsync(() => stats.Delivered >= publisher.Accepted * sessions, TimeSpan.FromSeconds(15));
        figures.LoadDeliveriesMissing = publisher.Accepted * sessions - stats.Delivered;
        if (figures.LoadDeliveriesMissing != 0)
        {
            Say(name, $"{publisher.Accepted} publishes accepted × {sessions} sessions, {stats.Delivered} acked deliveries: {figures.LoadDeliveriesMissing} missing");
        }
        figures.Duplicates = stats.Duplicates;
        figures.FailedPublishes = publisher.Failed;
        figures.ServerClosedSockets = stats.ServerClosed;
        figures.SlowConsumerCloses = stats.SlowConsumerClosed;
        if (stats.Lost > 0 || publisher.Failed > 0)
        {
            figures.Problems.Add($"{stats.Lost} client sockets dropped without a close frame, {publisher.Failed} publishes not accepted during load");
        }
        await fleet.AbortAllAsync();
    }

    private async Task RunIdleAsync(ServerUnderTest server, ServerFigures figures)
    {
        await using var process = await server.StartAsync(signingKey, apiKey, workDirectory, options.ServerEnvironment);
        var stats = new DeliveryStats();
        var fleet = new ClientFleet([process.BaseAddress], server.NewSession, tokens, stats);
        var sessions = options.SessionsPerUser;
        try
        {
            // RSS read at IdleSteps + 1 socket counts from IdleBase to IdleTarget, after a settle each; the figure is the
            // least-squares slope, so one reading raised by garbage not yet collected moves it less than it moved a
            // difference of two readings (the figure before 2026-12-07 18:30, still logged beside it).
            var counts = new List<double>();
            var readings = new List<double>();
            var connectedUsers = 0;
            var started = Stopwatch.GetTimestamp();
            for (var step = 0; step <= IdleSteps; step++)
            {
                var socketsNow = options.IdleBase + (options.IdleTarget - options.IdleBase) * step / IdleSteps;
                await fleet.ConnectAsync(connectedUsers, socketsNow / sessions - connectedUsers, sessions, CancellationToken.None);
                connectedUsers = socketsNow / sessions;
                await Task.Delay(options.Settle);
                counts.Add(socketsNow);
                readings.Add(process.ResidentBytes());
            }
            Say(server.Name, $"{fleet.Count} idle clients authenticated ({Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s with {IdleSteps + 1} settles)");
            figures.BytesPerIdleConnection = Slope(counts, readings);
            var twoPoint = (readings[^1] - readings[0]) / (options.IdleTarget - options.IdleBase);
            Say(server.Name, $"RSS (MiB) {string.Join(", ", counts.Select((c, i) => FormattableString.Invariant($"{readings[i] / 1048576.0:F1} at {c}")))}: " +
                $"{figures.BytesPerIdleConnection / 1024:F1} KiB per idle connection (slope; first to last reading {twoPoint / 1024:F1})");

            // Held: after the hold time every socket is still open and receives one event published to its user.
            await Task.Delay(options.Hold);
            figures.IdleOpened = fleet.OpenCount;
            var users = options.IdleTarget / sessions;
            using var publisher = new Publisher([process.BaseAddress], apiKey, users, options.HttpConnections);
            // The server's CPU for these deliveries: each reaches a socket idle since it authenticated (on a node, a
            // parked session whose grain comes back for it), what a node of mostly idle tabs pays per event.
            var cpu = new CpuSampler([process.ProcessId], null);
            var cpuBefore = cpu.Read();
            await publisher.RunOpenLoopAsync(0, users, 1000, OpenLoopMaxInFlight);
            await WaitUntilAsync(() => stats.Delivered >= options.IdleTarget, TimeSpan.FromSeconds(30));
            var serverSeconds = (cpu.Read().Servers - cpuBefore.Servers) / CpuSampler.TicksPerSecond;
            Say(server.Name, FormattableString.Invariant(
                $"check events: {stats.Delivered} deliveries to idle sockets, server CPU {serverSeconds * 1e6 / Math.Max(1, stats.Delivered):F1} µs per delivery"));
            figures.IdleDelivered = stats.Delivered;
            figures.IdleHeld = figures.IdleOpened == options.IdleTarget && stats.Delivered == options.IdleTarget
                && stats.ServerClosed == 0 && stats.Lost == 0 && publisher.Failed == 0;
            Say(server.Name, $"held {figures.IdleOpened} open, {figures.IdleDelivered}/{options.IdleTarget} got the check event: {(figures.IdleHeld ? "held" : "NOT held")}");
        }
        finally
        {
            figures.IdleOpened = Math.Max(figures.IdleOpened, 0);
            await fleet.AbortAllAsync();
        }
    }

    /// <summary>RSS readings in the idle phase: at the base, then after each of this many equal steps up to the target.</summary>
    private const int IdleSteps = 3;

    /// <summary>Least-squares slope of <paramref name="y"/> over <paramref name="x"/>.</summary>
    private static double Slope(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var meanX = x.Average();
        var meanY = y.Average();
        double covariance = 0, variance = 0;
        for (var i = 0; i < x.Count; i++)
        {
            covariance += (x[i] - meanX) * (y[i] - meanY);
            variance += (x[i] - meanX) * (x[i] - meanX);
        }
        return covariance / variance;
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!condition() && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(50);
        }
    }

    internal static void Say(string server, string text) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {server}: {text}");
}
