using Microsoft.Extensions.Logging;

namespace OrleansSync.Storage;

/// <summary>
/// Whether the store takes writes, learned from the writes the node makes anyway: each path that writes reports
/// the outcome of its attempts, and the store counts as failing while the last attempt of any path failed. Nothing
/// is written to find out, except the group commit's probe while it is failing and idle (see <c>BatchWriter</c>), so
/// that a node nobody writes through still notices when the store recovers. <c>/readyz</c> reads <see cref="State"/>.
/// A success costs one volatile read while nothing fails. An episode (from the first failure until every path
/// succeeds again) is logged once as an error and once when it ends; the failures in between only at debug level, so
/// a flood of refused publishes does not flood the log.
/// </summary>
public sealed partial class StoreHealth(ILogger<StoreHealth> logger, TimeProvider time)
{
    private readonly object _gate = new();
    private readonly Failure?[] _failing = new Failure?[Enum.GetValues<StoreWritePath>().Length];
    private int _failingPaths; // read without the lock by every success
    private DateTimeOffset _episodeStarted;
    private long _episodeFailures;

    /// <summary>A write through <paramref name="path"/> committed. True if that path's writes had been failing.</summary>
    public bool Succeeded(StoreWritePath path)
    {
        if (Volatile.Read(ref _failingPaths) == 0)
        {
            return false;
        }
        lock (_gate)
        {
            if (_failing[(int)path] is null)
            {
                return false;
            }
            _failing[(int)path] = null;
            if (--_failingPaths == 0)
            {
                Log.Recovered(logger, time.GetUtcNow() - _episodeStarted, _episodeFailures);
            }
            return true;
        }
    }

    /// <summary>
    /// A write through <paramref name="path"/> failed because the store cannot write (<paramref name="reason"/>, as the
    /// dialect describes <paramref name="exception"/>).
    /// </summary>
    public void Failed(StoreWritePath path, string reason, Exception exception)
    {
        lock (_gate)
        {
            _episodeFailures = _failingPaths == 0 ? 1 : _episodeFailures + 1;
            if (_failing[(int)path] is { } failing)
            {
                _failing[(int)path] = failing with { Reason = reason };
                Log.StillFailing(logger, path, reason);
                return;
            }
            _failing[(int)path] = new Failure(reason, time.GetUtcNow());
            if (_failingPaths++ == 0)
            {
                _episodeStarted = time.GetUtcNow();
                Log.Failing(logger, path, reason, exception);
            }
            else
            {
                Log.StillFailing(logger, path, reason);
            }
        }
    }

    /// <summary>Whether the last write of every path succeeded; if not, why and since when.</summary>
    public StoreWriteState State
    {
        get
        {
            if (Volatile.Read(ref _failingPaths) == 0)
            {
                return new StoreWriteState(true, null, null);
            }
            lock (_gate)
            {
                foreach (var failure in _failing)
                {
                    if (failure is not null)
                    {
                        return new StoreWriteState(false, failure.Reason, failure.Since);
                    }
                }
                return new StoreWriteState(true, null, null);
            }
        }
    }

    private sealed record Failure(string Reason, DateTimeOffset Since);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Store writes fail ({Path}: {Reason}). Publishes answer 503, resumes are refused (1013) and /readyz " +
            "reports not ready until a write succeeds; further failures of this episode are logged at debug level.")]
        public static partial void Failing(ILogger logger, StoreWritePath path, string reason, Exception exception);

        [LoggerMessage(2, LogLevel.Debug, "Store write failed again ({Path}: {Reason}).")]
        public static partial void StillFailing(ILogger logger, StoreWritePath path, string reason);

        [LoggerMessage(3, LogLevel.Warning, "Store writes succeed again after {Duration} ({Failures} failed writes in between).")]
        public static partial void Recovered(ILogger logger, TimeSpan duration, long failures);
    }
}

/// <summary>The ways the node writes to the store; each reports its own outcomes to <see cref="StoreHealth"/>.</summary>
public enum StoreWritePath
{
    /// <summary>The group commit of queue, session and socket writes (and its probe while it fails).</summary>
    GroupCommit,

    /// <summary>Writes in a transaction of their own: claims, new sessions, the node's heartbeat.</summary>
    Direct,
}

/// <summary>What <see cref="StoreHealth.State"/> says.</summary>
/// <param name="Writable">The last write of every path succeeded.</param>
/// <param name="Reason">Otherwise, what the database said.</param>
/// <param name="Since">And when that path's writes began to fail.</param>
public readonly record struct StoreWriteState(bool Writable, string? Reason, DateTimeOffset? Since);
