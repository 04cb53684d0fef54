namespace OrleansSync.Bench;

/// <summary>
/// The load generator's own garbage collections: a blocking collection pauses every thread of the generator, the
/// publisher's and the clients' alike, so a fixed-rate window's tail can be the generator's and not the target's. The
/// fixed-rate window runs in a no-GC region (<see cref="TryHoldOff"/>): the generator allocates about 90 MiB in it.
/// </summary>
public readonly record struct GeneratorGc(int Gen0, int Gen1, int Gen2, TimeSpan Paused)
{
    /// <summary>Collects everything, then asks the GC to hold off for the next <see cref="WindowBudget"/> bytes of allocation.</summary>
    public static bool TryHoldOff()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        try
        {
            return GC.TryStartNoGCRegion(WindowBudget);
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    /// <summary>Ends the region of <see cref="TryHoldOff"/> if it still holds.</summary>
    public static void Resume()
    {
        if (System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion)
        {
            GC.EndNoGCRegion();
        }
    }

    private const long WindowBudget = 240L * 1024 * 1024;

    public static GeneratorGc Read() => new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());

    public static GeneratorGc operator -(GeneratorGc end, GeneratorGc start) =>
        new(end.Gen0 - start.Gen0, end.Gen1 - start.Gen1, end.Gen2 - start.Gen2, end.Paused - start.Paused);

    public override string ToString() => FormattableString.Invariant(
        $"{Gen0} collections ({Gen1} of gen1 or 2, {Gen2} of gen2), paused {Paused.TotalMilliseconds:F1} ms in all");
}
