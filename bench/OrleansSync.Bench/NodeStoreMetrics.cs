using System.Globalization;

namespace OrleansSync.Bench;

/// <summary>
/// Reads the nodes' own group-commit histograms from <c>/metrics</c> (<c>orleanssync_store_batch_size</c> and
/// <c>orleanssync_store_commit_duration_seconds</c>, summed over nodes), so a window can report commits/s,
/// writes per commit and mean commit time; and how publishes found their user's sessions
/// (<c>orleanssync_session_list_lookups_total</c>: the list a user grain keeps, or a store read). Nodes started with
/// <c>--Metrics:Enabled=false</c> answer 404: no reading.
/// </summary>
public static class NodeStoreMetrics
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    public static async Task<StoreReading?> ReadAsync(IEnumerable<Uri> baseAddresses)
    {
        var total = new StoreReading(0, 0, 0, 0, 0);
        foreach (var address in baseAddresses)
        {
            using var response = await Http.GetAsync(new Uri(address, "metrics")).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }
            var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            total = new StoreReading(
                total.Commits + Value(text, "orleanssync_store_batch_size_count"),
                total.Writes + Value(text, "orleanssync_store_batch_size_sum"),
                total.CommitSeconds + Value(text, "orleanssync_store_commit_duration_seconds_sum"),
                total.ListsKept + Value(text, "orleanssync_session_list_lookups_total", "source=\"copy\""),
                total.ListsRead + Value(text, "orleanssync_session_list_lookups_total", "source=\"store\""));
        }
        return total;
    }

    /// <summary>Sum of the samples of <paramref name="name"/> (one per tag set), or of those whose tags hold <paramref name="tag"/>.</summary>
    private static double Value(string text, string name, string? tag = null)
    {
        var sum = 0.0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] is '{' or ' '
                && (tag is null || line.Contains(tag, StringComparison.Ordinal)))
            {
                sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }
        return sum;
    }

    public static StoreWindow Between(StoreReading start, StoreReading end, double seconds)
    {
        var commits = end.Commits - start.Commits;
        var writes = end.Writes - start.Writes;
        return new StoreWindow(commits / seconds, commits > 0 ? writes / commits : double.NaN,
            commits > 0 ? (end.CommitSeconds - start.CommitSeconds) / commits * 1000 : double.NaN);
    }
}

/// <summary>Cumulative counters of the nodes: group commits, writes, commit time; publishes routed by a kept list or a read one.</summary>
public readonly record struct StoreReading(double Commits, double Writes, double CommitSeconds, double ListsKept, double ListsRead)
{
    /// <summary>Of the publishes between <paramref name="start"/> and this reading, the share that read their user's list from the store.</summary>
    public double ListReadShare(StoreReading start)
    {
        var read = ListsRead - start.ListsRead;
        var all = read + ListsKept - start.ListsKept;
        return all > 0 ? read / all : double.NaN;
    }
}

/// <summary>Group commits per second, writes per commit and mean commit duration over a window.</summary>
public readonly record struct StoreWindow(double CommitsPerSecond, double WritesPerCommit, double MeanCommitMilliseconds);
