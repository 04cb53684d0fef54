using OrleansSync.Delivery;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>
/// Records every forget; while the gate is closed they complete only when the test opens it (so a test can see what
/// waits for the announcement). Open at first unless asked otherwise. Past the gate, forgets go on to the real
/// invalidation given to <see cref="Forwarding"/>, if any.
/// </summary>
public sealed class GatedSessionListInvalidation(bool open = true) : ISessionListInvalidation
{
    private readonly object _gate = new();
    private readonly List<IReadOnlyList<string>?> _calls = [];
    private TaskCompletionSource _opened = NewGate(open);
    private ISessionListInvalidation? _next;

    /// <summary>The users of each forget so far (null: every user).</summary>
    public IReadOnlyList<IReadOnlyList<string>?> Calls { get { lock (_gate) return [.. _calls]; } }

    /// <summary>Forgets that passed the gate go on to <paramref name="next"/>; returns this.</summary>
    public GatedSessionListInvalidation Forwarding(ISessionListInvalidation next)
    {
        _next = next;
        return this;
    }

    public async Task ForgetEverywhereAsync(IReadOnlyList<string>? userIds)
    {
        Task opened;
        lock (_gate)
        {
            _calls.Add(userIds);
            opened = _opened.Task;
        }
        await opened;
        if (_next is not null)
        {
            await _next.ForgetEverywhereAsync(userIds);
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
