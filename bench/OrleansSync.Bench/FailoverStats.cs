using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;

namespace OrleansSync.Bench;

/// <summary>
/// What the tabs went through around a silo's kill (the failover scenario): the kill's moment, then for each tab the
/// moment it received its first event published after the kill, every close it saw and every resume it made.
/// Moments are Stopwatch timestamps, turned into seconds after the kill when reported.
/// </summary>
public sealed class FailoverStats
{
    private readonly ConcurrentQueue<long> _firstEventAfterKill = new();
    private readonly ConcurrentQueue<(WebSocketCloseStatus? Code, long At)> _closes = new();
    private readonly ConcurrentQueue<long> _resumes = new();
    private long _killTimestamp;
    private long _fullSyncs;
    private long _failedAttempts;

    /// <summary>When the kill was sent; 0 before.</summary>
    public long KillTimestamp => Volatile.Read(ref _killTimestamp);

    public void MarkKill() => Volatile.Write(ref _killTimestamp, Stopwatch.GetTimestamp());

    /// <summary>A tab received its first event whose publish was due after the kill (once per tab).</summary>
    public void OnFirstEventAfterKill() => _firstEventAfterKill.Enqueue(Stopwatch.GetTimestamp());

    /// <summary>A tab's socket ended: closed by the server with <paramref name="code"/>, or dropped without a close frame (null).</summary>
    public void OnClosed(WebSocketCloseStatus? code) => _closes.Enqueue((code, Stopwatch.GetTimestamp()));

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

    /// <summary>Seconds after the kill at which each tab got its first event published after it (tabs that never did are missing).</summary>
    public double[] RecoverySeconds() => [.. _firstEventAfterKill.Select(SecondsAfterKill)];

    public double[] ResumeSeconds() => [.. _resumes.Select(SecondsAfterKill)];

    public (WebSocketCloseStatus? Code, double Seconds)[] Closes() => [.. _closes.Select(c => (c.Code, SecondsAfterKill(c.At)))];

    private double SecondsAfterKill(long timestamp) => Stopwatch.GetElapsedTime(KillTimestamp, timestamp).TotalSeconds;
}
