using System.Text;
using OrleansSync.Delivery;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>An <see cref="ISessionObserver"/> that records what a grain pushed, for unit tests.</summary>
public sealed class RecordingObserver(string socketId = "socket-1", int capacity = int.MaxValue) : ISessionObserver
{
    public string SocketId { get; } = socketId;
    public List<SessionOpened> Opened { get; } = [];
    public List<string> Frames { get; } = [];
    public List<SessionCloseReason> Closes { get; } = [];

    public void OnSessionOpened(SessionOpened opened) => Opened.Add(opened);

    public bool TrySend(ReadOnlyMemory<byte> utf8Frame)
    {
        if (Frames.Count >= capacity)
        {
            return false;
        }
        Frames.Add(Encoding.UTF8.GetString(utf8Frame.Span));
        return true;
    }

    public void Close(SessionCloseReason reason) => Closes.Add(reason);
}
