using Microsoft.Extensions.Logging;

namespace OrleansSync.Gateway.Ops;

/// <summary>The last <see cref="Capacity"/> warnings and errors of the node (and rejected frames), for the dashboard.</summary>
public sealed class RecentLogBuffer
{
    /// <summary>Entries kept; older ones are overwritten.</summary>
    public const int Capacity = 50;

    private readonly RecentLogEntry[] _entries = new RecentLogEntry[Capacity];
    private readonly object _gate = new();
    private long _written;

    /// <summary>Entries written since start (including overwritten ones).</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Adds an entry, overwriting the oldest when full.</summary>
    public void Add(RecentLogEntry entry)
    {
        lock (_gate)
        {
            _entries[_written % Capacity] = entry;
            _written++;
        }
    }

    /// <summary>Up to <paramref name="max"/> entries, newest first.</summary>
    public IReadOnlyList<RecentLogEntry> Newest(int max)
    {
        lock (_gate)
        {
            var count = (int)Math.Min(Math.Min(_written, Capacity), max);
            var result = new RecentLogEntry[count];
            for (var i = 0; i < count; i++)
            {
                result[i] = _entries[(_written - 1 - i) % Capacity];
            }
            return result;
        }
    }
}

/// <summary>One remembered log entry.</summary>
/// <param name="At">When it was logged.</param>
/// <param name="Level">Its level.</param>
/// <param name="Category">Logger category, without the namespace.</param>
/// <param name="Message">Formatted message, with the exception's type and message if any.</param>
public sealed record RecentLogEntry(DateTimeOffset At, LogLevel Level, string Category, string Message);
