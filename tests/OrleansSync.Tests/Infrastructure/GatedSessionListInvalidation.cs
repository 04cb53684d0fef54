using OrleansSync.Delivery;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>
/// Records every forget; while the gate is closed they complete only when the test opens it (so a test can see what
/// waits for the announcement). Open at first unless asked otherwise.
/// </summary>
public sealed class GatedSessionListInvalidation(bool open = true) : ISessionListInvalidation
{
    private readonly object _gate = new();
    private readonly List<IReadOnlyList<string>?> _calls = [];
    private TaskCompletionSource _opened = NewGate(open);

    /// <summary>The users of each forget so far (null: every user).</summary>
    public IReadOnlyList<IReadOnlyList<string>?> Calls { get { lock (_gate) return [.. _calls]; } }

    public Task ForgetEverywhereAsync(IReadOnlyList<string>? userIds)
    {
        lock (_gate)
        {
            _calls.Add(userIds);
            return _opened.Task;
        }
    }

    /// <summary>Forgets from now on wait for <see cref="Open"/>.</summary>
    public void Close()
    {
        lock (_gate) _opened = NewGate(open: false);
    }

    public void Open()
    {
        lock (_gate) _opened.TrySetResult();
    }

    private static TaskCompletionSource NewGate(bool open)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (open)
        {
            gate.SetResult();
        }
        return gate;
    }
}
