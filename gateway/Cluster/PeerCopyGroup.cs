namespace OrleansSync.Gateway.Cluster;

/// <summary>
/// One event for several sessions of one node (a publish's copies for that node): queued, sent and answered as one
/// piece, so a publish costs one queue entry and one answer per node rather than one per session. On the wire it
/// is still one copy per session (<see cref="PeerCopyCodec"/>).
/// </summary>
internal sealed class PeerCopyGroup(string eventId, byte[] frame, IReadOnlyList<string> sessionIds)
{
    private readonly TaskCompletionSource<bool[]> _answered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string EventId => eventId;

    public byte[] Frame => frame;

    public IReadOnlyList<string> SessionIds => sessionIds;

    /// <summary>Encoded size of the group's copies.</summary>
    public int EncodedSize { get; } = SizeOf(eventId, frame, sessionIds);

    /// <summary>Per session: true once durable at the node, false if not taken.</summary>
    public Task<bool[]> Answered => _answered.Task;

    /// <summary>An answer of "not taken" for every session.</summary>
    public bool[] NoneTaken() => new bool[sessionIds.Count];

    /// <summary>Answers from the node's answer bytes for this group (1 taken, anything else not).</summary>
    public void Answer(ReadOnlySpan<byte> taken)
    {
        var answer = new bool[sessionIds.Count];
        for (var i = 0; i < answer.Length; i++)
        {
            answer[i] = taken[i] == 1;
        }
        _answered.TrySetResult(answer);
    }

    /// <summary>Answers "not taken" for every session (the caller writes their inboxes); no effect once answered.</summary>
    public void AnswerNone() => _answered.TrySetResult(NoneTaken());

    private static int SizeOf(string eventId, byte[] frame, IReadOnlyList<string> sessionIds)
    {
        var size = 0;
        foreach (var sessionId in sessionIds)
        {
            size += PeerCopyCodec.SizeOf(new PeerCopy(sessionId, eventId, frame));
        }
        return size;
    }
}
