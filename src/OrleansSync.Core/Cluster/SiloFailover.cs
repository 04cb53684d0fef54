namespace OrleansSync.Cluster;

/// <summary>
/// Rides out a silo's death for calls that enter the grains from outside (a publish, a socket's resume). Until
/// membership declares a killed silo dead, calls to grains that lived there are rejected without running
/// (<see cref="OrleansMessageRejectionException"/>, which includes <see cref="SiloUnavailableException"/>); once it
/// is declared dead, the same call activates the grain on a survivor, from its durable state. So a rejected call is
/// tried again, with a short growing pause, for up to <see cref="Window"/>: longer than the membership's detection
/// bound (see README, <c>Orleans:ProbeTimeout</c>), shorter than a client's patience. A call that timed out may have
/// run, and is not repeated here.
/// </summary>
public static class SiloFailover
{
    /// <summary>How long a rejected call is tried again before its rejection is the answer.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(1);

    /// <summary>Runs <paramref name="call"/>, again while it is rejected, within <see cref="Window"/>.</summary>
    public static async Task<T> RetryRejectedAsync<T>(Func<Task<T>> call, TimeProvider time, CancellationToken cancellationToken = default)
    {
        var started = time.GetTimestamp();
        var pause = FirstPause;
        while (true)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (OrleansMessageRejectionException) when (time.GetElapsedTime(started) + pause < Window)
            {
                await Task.Delay(pause, time, cancellationToken).ConfigureAwait(false);
                pause = pause * 2 < LongestPause ? pause * 2 : LongestPause;
            }
        }
    }
}
