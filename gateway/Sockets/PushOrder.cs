namespace OrleansSync.Gateway.Sockets;

/// <summary>
/// Puts a session's pushes back in the order its grain sent them (<see cref="Delivery.IGatewayObserver.Send"/>): a push
/// that arrives early is held until those before it arrived. A push can also be lost (one-way), so a gap is not waited
/// for forever: once it has been open for <see cref="GapTimeout"/> when another push arrives, or more than
/// <see cref="MaxHeld"/> pushes wait behind it, what is held goes out in order and the gap is left behind (the session's
/// re-send brings the lost event later). In a silo's own process pushes arrive in order and nothing is ever held.
/// Calls come one at a time (Orleans runs an observer's calls in turn); the lock only guards against a reset racing them.
/// </summary>
public sealed class PushOrder(TimeProvider time)
{
    /// <summary>How long a gap in the order may hold later pushes back.</summary>
    public static readonly TimeSpan GapTimeout = TimeSpan.FromSeconds(1);

    /// <summary>How many pushes may wait behind a gap.</summary>
    public const int MaxHeld = 256;

    private readonly object _gate = new();
    private long _next;
    private long _gapSince; // timestamp the first held push arrived
    private SortedDictionary<long, ReadOnlyMemory<byte>>? _held; // made at the first early push (in order, never)

    /// <summary>A new attach: its pushes count from 0.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _next = 0;
            _held?.Clear();
        }
    }

    /// <summary>
    /// Takes push <paramref name="order"/>; hands <paramref name="send"/> every frame that may go now, in order. A push
    /// older than the next expected one (it arrived after its gap was left behind) goes out at once.
    /// </summary>
    public void Accept(long order, ReadOnlyMemory<byte> frame, Action<ReadOnlyMemory<byte>> send)
    {
        lock (_gate)
        {
            if (order < _next)
            {
                send(frame);
                return;
            }
            if (order > _next)
            {
                _held ??= [];
                if (_held.Count == 0)
                {
                    _gapSince = time.GetTimestamp();
                }
                _held[order] = frame;
                if (_held.Count > MaxHeld || time.GetElapsedTime(_gapSince) >= GapTimeout)
                {
                    _next = _held.Keys.First(); // leave the gap behind
                }
                else
                {
                    return;
                }
            }
            else
            {
                send(frame);
                _next++;
            }
            SendHeldInOrder(send);
        }
    }

    private void SendHeldInOrder(Action<ReadOnlyMemory<byte>> send)
    {
        while (_held is { Count: > 0 } && _held.Remove(_next, out var frame))
        {
            send(frame);
            _next++;
            if (_held.Count > 0 && _held.Keys.First() > _next)
            {
                _gapSince = time.GetTimestamp(); // another gap: its own clock
            }
        }
    }
}
