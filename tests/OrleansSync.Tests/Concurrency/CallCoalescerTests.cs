using OrleansSync.Concurrency;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Concurrency;

/// <summary>
/// The call coalescer with a scripted batch read (a unit test of its logic; the store's real reads are covered by
/// <see cref="Storage.UserSessionReadTests"/> on SQLite and PostgreSQL).
/// </summary>
public sealed class CallCoalescerTests
{
    /// <summary>A batch read that answers "value of k" for each key ("none" for "missing") once the test releases it.</summary>
    private sealed class ScriptedRead
    {
        private readonly List<(string[] Keys, TaskCompletionSource Release)> _calls = [];

        public IReadOnlyList<string[]> Calls { get { lock (_calls) { return _calls.Select(c => c.Keys).ToList(); } } }

        public async Task<IReadOnlyList<string>> ReadAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
        {
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_calls)
            {
                _calls.Add((keys.ToArray(), release));
            }
            await release.Task.WaitAsync(cancellationToken);
            return keys.Select(key => key == "missing" ? "none" : $"value of {key}").ToList();
        }

        public void Release(int call, Exception? error = null)
        {
            TaskCompletionSource release;
            lock (_calls)
            {
                release = _calls[call].Release;
            }
            if (error is null)
            {
                release.SetResult();
            }
            else
            {
                release.SetException(error);
            }
        }
    }

    private static Task CallsReachAsync(ScriptedRead read, int count) =>
        Eventually.TrueAsync(() => read.Calls.Count >= count, because: $"{count} reads started");

    [Fact]
    public async Task An_idle_reader_reads_at_once_for_that_key_alone()
    {
        var read = new ScriptedRead();
        var reader = new CallCoalescer<string, string>(read.ReadAsync);

        var value = reader.CallAsync("a");

        Assert.Equal(["a"], Assert.Single(read.Calls));
        read.Release(0);
        Assert.Equal("value of a", await value.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Callers_arriving_during_a_read_share_the_next_one_and_each_get_their_own_value()
    {
        var read = new ScriptedRead();
        var reader = new CallCoalescer<string, string>(read.ReadAsync);
        var first = reader.CallAsync("a");
        var joined = new[] { reader.CallAsync("b"), reader.CallAsync("c"), reader.CallAsync("b"), reader.CallAsync("missing") };
        Assert.Single(read.Calls); // nothing more starts while the first read runs

        read.Release(0);
        await CallsReachAsync(read, 2);
        Assert.Equal(["b", "c", "missing"], read.Calls[1]);
        read.Release(1);

        Assert.Equal("value of a", await first.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(["value of b", "value of c", "value of b", "none"], await Task.WhenAll(joined).WaitAsync(TimeSpan.FromSeconds(10)));
        // Idle again: the next caller reads at once.
        var later = reader.CallAsync("d");
        await CallsReachAsync(read, 3);
        read.Release(2);
        Assert.Equal("value of d", await later.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_failed_shared_read_fails_each_of_its_callers_and_the_next_read_still_runs()
    {
        var read = new ScriptedRead();
        var reader = new CallCoalescer<string, string>(read.ReadAsync);
        var first = reader.CallAsync("a");
        var failing = new[] { reader.CallAsync("b"), reader.CallAsync("c") };
        read.Release(0);
        await CallsReachAsync(read, 2);
        var afterFailure = reader.CallAsync("d"); // waits for the read after the failing one

        read.Release(1, new InvalidOperationException("database gone"));

        foreach (var caller in failing)
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => caller.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal("database gone", error.Message);
        }
        await CallsReachAsync(read, 3);
        Assert.Equal(["d"], read.Calls[2]);
        read.Release(2);
        Assert.Equal("value of d", await afterFailure.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("value of a", await first);
    }

    [Fact]
    public async Task A_waiting_caller_that_cancels_stops_waiting_without_cancelling_the_others()
    {
        var read = new ScriptedRead();
        var reader = new CallCoalescer<string, string>(read.ReadAsync);
        var first = reader.CallAsync("a");
        using var cancel = new CancellationTokenSource();
        var cancelled = reader.CallAsync("b", cancel.Token);
        var staying = reader.CallAsync("c");

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(TimeSpan.FromSeconds(10)));
        read.Release(0);
        await CallsReachAsync(read, 2);
        read.Release(1);
        Assert.Equal("value of c", await staying.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("value of a", await first);
    }
}
