namespace OrleansSync.Bench;

/// <summary>
/// CPU time from <c>/proc</c>: of the whole machine, of the server processes, of this load generator and of
/// PostgreSQL (the postmaster and its children), so a window's figures can say who used the two cores; and the
/// machine's context switches (<c>ctxt</c> in <c>/proc/stat</c>), since on shared cores switching between busy
/// processes is much of what a cluster of processes pays.
/// </summary>
public sealed class CpuSampler(IReadOnlyList<int> serverPids, int? postgresPid)
{
    public const double TicksPerSecond = 100; // USER_HZ on Linux

    public CpuReading Read() => new(
        MachineBusyTicks(),
        MachineContextSwitches(),
        serverPids.Sum(ProcessTicks),
        ProcessTicks(Environment.ProcessId),
        postgresPid is { } pid ? ProcessTicks(pid) + ChildrenOf(pid).Sum(ProcessTicks) : 0,
        System.Diagnostics.Stopwatch.GetTimestamp());

    /// <summary>Cores used between two readings, by group; "other" is whatever else ran on the machine.</summary>
    public static CpuSplit Between(CpuReading start, CpuReading end)
    {
        var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(start.Timestamp, end.Timestamp).TotalSeconds;
        double Cores(long ticks) => ticks / TicksPerSecond / seconds;
        var machine = Cores(end.MachineBusy - start.MachineBusy);
        var servers = Cores(end.Servers - start.Servers);
        var bench = Cores(end.Bench - start.Bench);
        var postgres = Cores(end.Postgres - start.Postgres);
        return new CpuSplit(machine, servers, bench, postgres, Math.Max(0, machine - servers - bench - postgres),
            (end.ContextSwitches - start.ContextSwitches) / seconds);
    }

    private static long MachineBusyTicks()
    {
        // cpu  user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait.
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        return fields.Sum() - fields[3] - fields[4];
    }

    private static long MachineContextSwitches() =>
        long.Parse(File.ReadLines("/proc/stat").First(line => line.StartsWith("ctxt ", StringComparison.Ordinal))[5..]);

    private static long ProcessTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11]) + long.Parse(fields[12]); // utime, stime (fields 14 and 15 of the full line)
        }
        catch (IOException)
        {
            return 0; // exited
        }
    }

    private static IEnumerable<int> ChildrenOf(int parentPid)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (IOException)
            {
                continue;
            }
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (int.Parse(fields[1]) == parentPid)
            {
                yield return pid;
            }
        }
    }
}

public readonly record struct CpuReading(long MachineBusy, long ContextSwitches, long Servers, long Bench, long Postgres, long Timestamp);

/// <summary>Cores used in a window (2 = both cores busy the whole time), and the machine's context switches per second.</summary>
public readonly record struct CpuSplit(double Machine, double Servers, double Bench, double Postgres, double Other, double ContextSwitchesPerSecond)
{
    public override string ToString() =>
        FormattableString.Invariant($"servers {Servers:F2}, load generator {Bench:F2}, postgres {Postgres:F2}, other {Other:F2} (machine {Machine:F2} of {Environment.ProcessorCount}); {ContextSwitchesPerSecond:F0} context switches/s");
}
