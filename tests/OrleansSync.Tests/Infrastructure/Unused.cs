using System.Reflection;
using OrleansSync.Conversations;
using OrleansSync.Delivery;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>A stand-in for a dependency a unit test must never touch: any call fails the test.</summary>
public class Unused : DispatchProxy
{
    public static T Of<T>() where T : class => Create<T, Unused>();

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
        throw new InvalidOperationException($"{targetMethod?.DeclaringType?.Name}.{targetMethod?.Name} was not expected in this test");
}

/// <summary>A socket directory with no sockets (session unit tests have no rooms).</summary>
public sealed class NoSockets : ISocketDirectory
{
    public string NodeId => "unit";

    public bool TryGetSocket(string socketId, out ISessionObserver socket, out string? sessionId)
    {
        socket = null!;
        sessionId = null;
        return false;
    }

    public IReadOnlyList<string> AttachedSessionIds() => [];

    public IReadOnlyList<(string SessionId, ISessionObserver Socket)> SocketsOfSessions(IReadOnlySet<string> sessionIds) => [];

    public bool TryGetIdentity(string socketId, out RoomCaller identity)
    {
        identity = null!;
        return false;
    }
}
