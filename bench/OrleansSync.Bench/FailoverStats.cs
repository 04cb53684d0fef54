using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;

namespace OrleansSync.Bench;

/// <summary>
/// What the tabs went through around a silo's kill (the failover scenario): the kill's moment, then for each tab the
/// moment it received its first event published after the kill, and the first such event after its last resume (a tab
/// that got events at once may be closed later, when its grain is lost after all), every close it saw and every resume
/// it made. Moments are Stopwatch timestamps, turned into seconds after the kill when reported.
/// </summary>
public sealed class FailoverStats
{
    private readonly ConcurrentDictionary<object, long> _firstEventAfterKill = new();
    private readonly ConcurrentDictionary<object, long> _firstEventAfterLastResume = new();
    private readonly ConcurrentQueue<(WebSocketCloseStatus? Code, long At)> _closes = new();
    private readonly ConcurrentQueue<long> _resumes = new();
    private long _killTimestamp;
    private long _fullSyncs;
    private long _failedAttempts;
    private long _closedAfterEvents;

    /// <summary>When the kill was sent; 0 before.</summary>
    public long KillTimestamp => Volatile.Read(ref _killTimestamp);

    public void MarkKill() => Volatile.Write(ref _killTimestamp, Stopwatch.GetTimestamp());

    /// <summary>
    /// <paramref name="tab"/> received its first event whose publish was due after the kill, on this socket: once per tab,
    /// and again after each resume that follows the kill.
    /// </summary>
    public void OnEventAfterKill(object tab)
    {
        var now = Stopwatch.GetTimestamp();
        _firstEventAfterKill.TryAdd(tab, now);
        _firstEventAfterLastResume[tab] = now;
    }

    /// <summary>
    /// <paramref name="tab"/>'s socket ended: closed by the server with <paramref name="code"/>, or dropped without a close
    /// frame (null). After the kill, the tab counts as receiving again only once its next socket brings an event.
    /// </summary>
    public void OnClosed(object tab, WebSocketCloseStatus? code)
    {
        _closes.Enqueue((code, Stopwatch.GetTimestamp()));
        if (KillTimestamp != 0)
        {
            _firstEventAfterLastResume.TryRemove(tab, out _);
            if (_firstEventAfterKill.ContainsKey(tab))
            {
                Interlocked.Increment(ref _closedAfterEvents); // its grain was alive after the kill, and lost later
            }
        }
    }

    /// <summary>A tab's reconnect got <c>auth_ok</c> for its session; <paramref name="needsFullSync"/> when events were lost.</summary>
    public void OnResumed(bool needsFullSync)
    {
        _resumes.Enqueue(Stopwatch.GetTimestamp());
        if (needsFullSync)
        {
            Interlocked.Increment(ref _fullSyncs);
        }
    }

    /// <summary>A reconnect attempt failed (refused, timed out); the tab tries again after its backoff.</summary>
    public void OnResumeFailed() => Interlocked.Increment(ref _failedAttempts);

    public long FullSyncs => Interlocked.Read(ref _fullSyncs);

    public long FailedAttempts => Interlocked.Read(ref _failedAttempts);

    /// <summary>Closes of sockets that had already brought an event published after the kill (a grain that outlived the kill, then was lost).</summary>
    public long ClosedAfterEvents => Interlocked.Read(ref _closedAfterEvents);

    /// <summary>Seconds after the kill at which each tab got its first event published after it (tabs that never did are missing).</summary>
    public double[] FirstEventSeconds() => [.. _firstEventAfterKill.Values.Select(SecondsAfterKill)];

    /// <summary>The same, counted from each tab's last resume after the kill: when it was receiving again for good.</summary>
    public double[] ReceivingAgainSeconds() => [.. _firstEventAfterLastResume.Values.Select(SecondsAfterKill)];

    public double[] ResumeSeconds() => [.. _resumes.Select(SecondsAfterKill)];

    public (WebSocketCloseStatus? Code, double Seconds)[] Closes() => [.. _closes.Select(c => (c.Code, SecondsAfterKill(c.At)))];

    private double SecondsAfterKill(long timestamp) => Stopwatch.GetElapsedTime(KillTimestamp, timestamp).TotalSeconds;
}
