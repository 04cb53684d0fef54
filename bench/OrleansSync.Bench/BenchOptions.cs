namespace OrleansSync.Bench;

/// <summary>Scale and durations of a run; <c>--quick</c> (default, about a minute) or <c>--full</c> (a few minutes), each value overridable.</summary>
public sealed class BenchOptions
{
    public int Users { get; set; } = 100;
    public int SessionsPerUser { get; set; } = 10;
    public TimeSpan Warmup { get; set; } = TimeSpan.FromSeconds(2);
    public TimeSpan Saturation { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan LatencyRun { get; set; } = TimeSpan.FromSeconds(5);
    public double LatencyRate { get; set; } = 1000;

    /// <summary>Failover scenario: how long the fixed-rate publishing goes on after the kill (before it: <see cref="Warmup"/>).</summary>
    public TimeSpan AfterKill { get; set; } = TimeSpan.FromSeconds(25);
    public int IdleBase { get; set; } = 1000;
    public int IdleTarget { get; set; } = 10_000;
    public TimeSpan Hold { get; set; } = TimeSpan.FromSeconds(2);
    public TimeSpan Settle { get; set; } = TimeSpan.FromSeconds(2);
    public int EventsInFlight { get; set; } = 200;
    public int HttpConnections { get; set; } = 32;
    /// <summary>The targets, run one after another in this order (<c>--only a,b</c> keeps its order; <c>--peers</c> is node, baseline, signalr, socketio).</summary>
    public string[] Servers { get; set; } = ["node", "baseline"];

    /// <summary>Every target <c>--only</c> accepts; <c>--peers</c> runs them all.</summary>
    public static readonly string[] AllServers = ["node", "baseline", "signalr", "socketio"];

    /// <summary>A peer (SignalR, Socket.IO) is among the targets: the run ends with the peer table.</summary>
    public bool ComparesPeers => Servers.Any(s => s is "signalr" or "socketio");

    public string? NodeDll { get; set; }
    public string? BaselineDll { get; set; }
    public string? SignalRDll { get; set; }
    public string? SocketIoScript { get; set; }

    /// <summary>Only measure what each wire protocol's client code costs per delivery, in this process (no servers).</summary>
    public bool WireCostOnly { get; set; }
    public string? ResultsFile { get; set; }

    /// <summary>
    /// Writes every delivery of each fixed-rate window to a CSV file (<see cref="LatencySamples"/>): this path, with the
    /// target's name and the time of day before the extension.
    /// </summary>
    public string? SamplesFile { get; set; }

    /// <summary>The fixed-rate run publishes at even intervals instead of at a random moment of each slot (the schedule before 2026-12-07's sixth session).</summary>
    public bool EvenSchedule { get; set; }
    public bool RunLoad { get; set; } = true;
    public bool RunIdle { get; set; } = true;

    /// <summary>
    /// How many times the load phases run for each server, alternating servers (and rotating their order) round by round;
    /// the table shows each figure's median over the rounds and every round's value beside it (<see cref="LoadRounds"/>).
    /// The idle phase runs once, after the rounds.
    /// </summary>
    public int Rounds { get; set; } = 1;

    /// <summary>Extra command-line arguments for every node process (e.g. <c>--Metrics:Enabled=false</c>); the baseline gets none.</summary>
    public List<string> NodeArguments { get; } = [];

    /// <summary>Cluster mode: extra arguments for the PostgreSQL scenarios' nodes only (e.g. <c>--Node:InlineIo=true</c>, which SQLite nodes refuse).</summary>
    public List<string> PostgresNodeArguments { get; } = [];

    /// <summary>
    /// Cluster mode: the scenarios to run (<c>sqlite1</c>, <c>postgresN</c>, <c>postgresgw</c>, and the failover scenario
    /// <c>postgresgw-kill</c>) instead of node vs baseline.
    /// </summary>
    public List<string> ClusterScenarios { get; } = [];

    /// <summary>Cluster mode: Npgsql connection string of a PostgreSQL server without a database (the bench creates one per scenario).</summary>
    public string? PostgresServer { get; set; }

    /// <summary>Cluster mode: pid of the postmaster, to measure the CPU PostgreSQL uses (its processes are its children).</summary>
    public int? PostgresPid { get; set; }

    public bool ClusterMode => ClusterScenarios.Count > 0;

    /// <summary>Extra environment for both servers (e.g. DOTNET_gcServer=0 to see how much of the idle cost is GC slack).</summary>
    public Dictionary<string, string> ServerEnvironment { get; } = [];

    /// <summary>
    /// Cluster mode: <c>spread</c> (default) spreads each user's sessions over the nodes and publishes round robin;
    /// <c>user-sockets</c> puts all of a user's sessions on one node (a load balancer sticky by user), publishes
    /// still round robin; <c>user</c> also sends each user's publishes to that node (no copy crosses nodes).
    /// </summary>
    public bool SocketsByUser { get; set; }

    /// <summary>Cluster mode: user u's publishes go to node u mod N (see <see cref="SocketsByUser"/>).</summary>
    public bool PublishesByUser { get; set; }

    /// <summary>
    /// The documented bound for a silo killed without a goodbye to be declared dead (README, <c>Orleans:ProbeTimeout</c>;
    /// docs/ARCHITECTURE.md, "Liveness of silos"): <c>NumMissedProbesLimit</c> × <c>ProbeTimeout</c> while the survivor is
    /// healthy, <c>NumMissedProbesLimit</c> × 4 × <c>ProbeTimeout</c> at worst (the node's <c>KilledSiloDeclaredDeadWithin</c>).
    /// Read from the nodes' arguments (<c>--Orleans:ProbeTimeout=…</c>, <c>--Orleans:NumMissedProbesLimit=…</c>), else
    /// the node's defaults: 1 s and 3.
    /// </summary>
    public (TimeSpan Healthy, TimeSpan Worst) KilledSiloDeclaredDeadWithin()
    {
        string? Argument(string key) => NodeArguments.Concat(PostgresNodeArguments)
            .LastOrDefault(a => a.StartsWith($"--{key}=", StringComparison.OrdinalIgnoreCase))?.Split('=', 2)[1];
        var probeTimeout = Argument("Orleans:ProbeTimeout") is { } timeout ? TimeSpan.Parse(timeout, System.Globalization.CultureInfo.InvariantCulture) : TimeSpan.FromSeconds(1);
        var missedProbes = Argument("Orleans:NumMissedProbesLimit") is { } limit ? int.Parse(limit, System.Globalization.CultureInfo.InvariantCulture) : 3;
        return (probeTimeout * missedProbes, probeTimeout * 4 * missedProbes);
    }

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            switch (name)
            {
                case "--quick": break;
                case "--full":
                    // Steady state: a node's tiered JIT is still recompiling Orleans' code well past 5 s of load (bench/README).
                    options.Warmup = TimeSpan.FromSeconds(30);
                    options.Saturation = TimeSpan.FromSeconds(20);
                    options.LatencyRun = TimeSpan.FromSeconds(20);
                    options.Hold = TimeSpan.FromSeconds(15);
                    options.Settle = TimeSpan.FromSeconds(5);
                    break;
                case "--users": options.Users = int.Parse(Next()); break;
                case "--sessions": options.SessionsPerUser = int.Parse(Next()); break;
                case "--warmup": options.Warmup = Seconds(Next()); break;
                case "--saturation": options.Saturation = Seconds(Next()); break;
                case "--latency": options.LatencyRun = Seconds(Next()); break;
                case "--rate": options.LatencyRate = double.Parse(Next()); break;
                case "--after-kill": options.AfterKill = Seconds(Next()); break;
                case "--idle-base": options.IdleBase = int.Parse(Next()); break;
                case "--idle": options.IdleTarget = int.Parse(Next()); break;
                case "--hold": options.Hold = Seconds(Next()); break;
                case "--settle": options.Settle = Seconds(Next()); break;
                case "--in-flight": options.EventsInFlight = int.Parse(Next()); break;
                case "--http": options.HttpConnections = int.Parse(Next()); break;
                case "--only":
                    options.Servers = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (options.Servers.FirstOrDefault(s => !AllServers.Contains(s)) is { } unknown)
                    {
                        throw new ArgumentException($"--only {unknown}: one or more of {string.Join(", ", AllServers)}, comma-separated");
                    }
                    break;
                case "--peers": options.Servers = AllServers; break;
                case "--wire-cost": options.WireCostOnly = true; break;
                case "--node-dll": options.NodeDll = Next(); break;
                case "--baseline-dll": options.BaselineDll = Next(); break;
                case "--signalr-dll": options.SignalRDll = Next(); break;
                case "--socketio-script": options.SocketIoScript = Next(); break;
                case "--results": options.ResultsFile = Next(); break;
                case "--samples": options.SamplesFile = Next(); break;
                case "--even-schedule": options.EvenSchedule = true; break;
                case "--phases":
                    var phases = Next().Split(',');
                    options.RunLoad = phases.Contains("load");
                    options.RunIdle = phases.Contains("idle");
                    break;
                case "--rounds": options.Rounds = Math.Max(1, int.Parse(Next())); break;
                case "--node-arg": options.NodeArguments.Add(Next()); break;
                case "--postgres-node-arg": options.PostgresNodeArguments.Add(Next()); break;
                case "--cluster":
                    options.ClusterScenarios.AddRange(Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    options.RunIdle = false;
                    break;
                case "--postgres": options.PostgresServer = Next(); break;
                case "--placement":
                    (options.SocketsByUser, options.PublishesByUser) = Next() switch
                    {
                        "spread" => (false, false),
                        "user-sockets" => (true, false),
                        "user" => (true, true),
                        var other => throw new ArgumentException($"--placement {other}: spread, user-sockets or user"),
                    };
                    break;
                case "--postgres-pid": options.PostgresPid = int.Parse(Next()); break;
                case "--server-env":
                    var pair = Next().Split('=', 2);
                    options.ServerEnvironment[pair[0]] = pair.Length > 1 ? pair[1] : "";
                    break;
                default: throw new ArgumentException($"unknown option {name}");
            }
        }
        if (options.IdleTarget % options.SessionsPerUser != 0 || options.IdleBase % options.SessionsPerUser != 0 || options.IdleBase >= options.IdleTarget)
        {
            throw new ArgumentException("--idle-base < --idle, both multiples of --sessions");
        }
        return options;
    }

    private static TimeSpan Seconds(string value) => TimeSpan.FromSeconds(double.Parse(value));
}
