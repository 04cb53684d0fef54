using System.Diagnostics;
using System.Runtime.InteropServices;

namespace OrleansSync.Bench;

/// <summary>
/// Blocks the calling thread until a <see cref="Stopwatch"/> timestamp, to within the kernel's timer slack (~50 µs on
/// Linux), without spinning. The fixed-rate publisher waits with it: <c>Task.Delay</c> counts in whole milliseconds
/// (the timer queue's clock) and then hops to a pool thread, which made the publisher itself up to ~3.5 ms late at
/// p99 and that lateness the largest part of every target's publish→receive p99 (bench/README.md, 2026-12-07, third
/// session). On Linux <see cref="Stopwatch"/> reads <c>CLOCK_MONOTONIC</c> in nanoseconds, so the timestamp is an
/// absolute deadline for <c>clock_nanosleep</c>; elsewhere it falls back to <see cref="Thread.Sleep(int)"/>.
/// </summary>
public static class PreciseWait
{
    private const int ClockMonotonic = 1;
    private const int AbsoluteTime = 1;

    private static readonly bool KernelDeadline = OperatingSystem.IsLinux() && Stopwatch.Frequency == 1_000_000_000;

    public static void Until(long timestamp)
    {
        while (Stopwatch.GetTimestamp() < timestamp)
        {
            if (KernelDeadline)
            {
                var deadline = new TimeSpec { Seconds = timestamp / 1_000_000_000, Nanoseconds = timestamp % 1_000_000_000 };
                _ = clock_nanosleep(ClockMonotonic, AbsoluteTime, ref deadline, IntPtr.Zero); // EINTR: the loop waits again
            }
            else
            {
                Thread.Sleep(Math.Max(1, (int)Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp).TotalMilliseconds));
            }
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc")]
    private static extern int clock_nanosleep(int clockId, int flags, ref TimeSpec request, IntPtr remaining);
}
