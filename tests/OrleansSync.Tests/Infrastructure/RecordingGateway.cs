using System.Collections.Concurrent;
using System.Text;
using Orleans.Concurrency;
using Orleans.Runtime;
using OrleansSync.Delivery;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>
/// A gateway observer that records what grains pushed to each socket, for grain tests. Pushes are one-way Orleans
/// calls, so they arrive a moment after the grain call that caused them: tests wait for them.
/// </summary>
public sealed class RecordingGateway : IGatewayObserver
{
    private readonly ConcurrentDictionary<string, RecordingTab> _tabs = new();
    private IGatewayObserver? _reference;
    private IGrainContextAccessor? _contexts;

    /// <summary>Registers the observer with the silo (kept alive by this object); returns its reference.</summary>
    public IGatewayObserver Register(IGrainFactory grains, IGrainContextAccessor contexts)
    {
        _contexts = contexts;
        return _reference = grains.CreateObjectReference<IGatewayObserver>(this);
    }

    /// <summary>The socket <paramref name="socketId"/> of this gateway.</summary>
    public RecordingTab Tab(string socketId = "socket-1") =>
        _tabs.GetOrAdd(socketId, id => new RecordingTab(new SocketLink(_reference ?? throw new InvalidOperationException("not registered"), id, GrainHarness.NodeId)));

    public Task SessionOpened(string socketId, SessionOpened opened) => Tab(socketId).Record(t => t.OpenedList.Add(opened));

    public Task Send(string socketId, long order, Immutable<byte[]> utf8Frame) // in order: silo and observer share the process
    {
        var sender = _contexts?.GrainContext?.GrainInstance?.GetType().Name; // whose turn pushed it
        return Tab(socketId).Record(t =>
        {
            t.FrameList.Add(Encoding.UTF8.GetString(utf8Frame.Value));
            t.SenderList.Add(sender);
        });
    }

    public Task Close(string socketId, SessionCloseReason reason) => Tab(socketId).Record(t => t.CloseList.Add(reason));
}

/// <summary>What one socket received. Reads take a snapshot.</summary>
public sealed class RecordingTab(SocketLink link)
{
    internal readonly List<SessionOpened> OpenedList = [];
    internal readonly List<string> FrameList = [];
    internal readonly List<string?> SenderList = [];
    internal readonly List<SessionCloseReason> CloseList = [];

    public SocketLink Link { get; } = link;
    public string SocketId => Link.SocketId;
    public IReadOnlyList<SessionOpened> Opened { get { lock (this) return [.. OpenedList]; } }
    public IReadOnlyList<string> Frames { get { lock (this) return [.. FrameList]; } }

    /// <summary>For each frame, the class of the grain (or observer) in whose turn it was pushed.</summary>
    public IReadOnlyList<string?> Senders { get { lock (this) return [.. SenderList]; } }
    public IReadOnlyList<SessionCloseReason> Closes { get { lock (this) return [.. CloseList]; } }

    /// <summary>Waits until <paramref name="count"/> frames arrived, then returns all of them.</summary>
    public async Task<IReadOnlyList<string>> FramesAsync(int count)
    {
        await Eventually.TrueAsync(() => Frames.Count >= count, because: $"{count} frames on {SocketId} (have {Frames.Count})");
        return Frames;
    }

    /// <summary>Waits for <c>auth_ok</c>.</summary>
    public async Task<SessionOpened> OpenedAsync()
    {
        await Eventually.TrueAsync(() => Opened.Count > 0, because: $"auth_ok on {SocketId}");
        return Opened.Single();
    }

    /// <summary>Waits until <paramref name="count"/> closes arrived, then returns them.</summary>
    public async Task<IReadOnlyList<SessionCloseReason>> ClosesAsync(int count = 1)
    {
        await Eventually.TrueAsync(() => Closes.Count >= count, because: $"a close of {SocketId}");
        return Closes;
    }

    internal Task Record(Action<RecordingTab> change)
    {
        lock (this)
        {
            change(this);
        }
        return Task.CompletedTask;
    }
}
