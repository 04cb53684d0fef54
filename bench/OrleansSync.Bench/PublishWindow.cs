namespace OrleansSync.Bench;

/// <summary>
/// Bounds the events published but not yet delivered to every session, so that "saturation" means the
/// highest rate the server sustains end to end rather than how fast its queues fill.
/// </summary>
public sealed class PublishWindow(int eventsInFlight)
{
    private const int RingSize = 1 << 20;
    private readonly int[] _remaining = new int[RingSize];
    private readonly SemaphoreSlim _permits = new(eventsInFlight, eventsInFlight);

    /// <summary>Waits for room, then expects <paramref name="fanOut"/> deliveries of <paramref name="seq"/>.</summary>
    public async Task AcquireAsync(long seq, int fanOut, CancellationToken cancellationToken)
    {
        await _permits.WaitAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _remaining[seq & (RingSize - 1)], fanOut);
    }

    public void OnDelivered(long seq)
    {
        if (Interlocked.Decrement(ref _remaining[seq & (RingSize - 1)]) == 0)
        {
            _permits.Release();
        }
    }
}
