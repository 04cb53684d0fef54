namespace OrleansSync.Gateway.Sockets;

/// <summary>Token bucket per socket: <c>rate</c> frames per second sustained, bursts up to twice that.</summary>
internal struct FloodGuard(int ratePerSecond, TimeProvider time)
{
    private readonly double _capacity = Math.Max(1, ratePerSecond) * 2.0;
    private double _tokens = Math.Max(1, ratePerSecond) * 2.0;
    private long _lastRefill = time.GetTimestamp();

    /// <summary>Takes one token; false when the socket exceeds its rate.</summary>
    public bool TryTake()
    {
        var now = time.GetTimestamp();
        _tokens = Math.Min(_capacity, _tokens + time.GetElapsedTime(_lastRefill, now).TotalSeconds * ratePerSecond);
        _lastRefill = now;
        if (_tokens < 1)
        {
            return false;
        }
        _tokens -= 1;
        return true;
    }
}
