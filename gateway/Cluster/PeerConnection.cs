using System.Buffers.Binary;
using System.Net.WebSockets;

namespace OrleansSync.Gateway.Cluster;

/// <summary>
/// The client side of one node-to-node copy socket: batches in flight by id, answered by the receive loop. Anything
/// that goes wrong on it (a failed send, a batch unanswered by its deadline, a broken or closed socket, an answer that
/// makes no sense) fails every batch in flight on it and drops it; the callback given at creation then hears why.
/// </summary>
internal sealed class PeerConnection
{
    private readonly ClientWebSocket _socket;
    private readonly Action<string> _failed;
    private readonly object _gate = new();
    private readonly Dictionary<uint, (IReadOnlyList<PeerCopyGroup> Waiting, CancellationTokenSource Deadline)> _inFlight = [];
    private uint _nextBatch;
    private bool _isFailed;

    public PeerConnection(ClientWebSocket socket, Action<string> failed)
    {
        _socket = socket;
        _failed = failed;
        _ = ReceiveAnswersAsync();
    }

    public bool IsOpen
    {
        get
        {
            lock (_gate)
            {
                return !_isFailed && _socket.State == WebSocketState.Open;
            }
        }
    }

    /// <summary>
    /// Sends a batch (<paramref name="body"/>: 4 bytes left free for its id, then the copies of
    /// <paramref name="waiting"/>, in order) whose answer answers those groups. If no answer comes before
    /// <paramref name="deadline"/>, the whole socket fails. Throws if the send fails (the caller then fails the socket).
    /// </summary>
    public async Task SendAsync(byte[] body, IReadOnlyList<PeerCopyGroup> waiting, CancellationTokenSource deadline)
    {
        uint batch;
        lock (_gate)
        {
            if (_isFailed)
            {
                throw new WebSocketException("the socket to the node failed");
            }
            batch = ++_nextBatch;
            _inFlight[batch] = (waiting, deadline);
        }
        deadline.Token.Register(static state =>
        {
            var (connection, id) = ((PeerConnection, uint))state!;
            connection.Expire(id);
        }, (this, batch));
        BinaryPrimitives.WriteUInt32BigEndian(body, batch);
        await _socket.SendAsync(body, WebSocketMessageType.Binary, endOfMessage: true, deadline.Token).ConfigureAwait(false);
    }

    /// <summary>Fails every batch in flight (false for each copy) and aborts the socket; safe to call more than once.</summary>
    public void Fail(string? reason = null)
    {
        List<(IReadOnlyList<PeerCopyGroup> Waiting, CancellationTokenSource Deadline)> failed;
        bool first;
        lock (_gate)
        {
            first = !_isFailed;
            _isFailed = true;
            failed = [.. _inFlight.Values];
            _inFlight.Clear();
        }
        _socket.Abort();
        foreach (var (waiting, deadline) in failed)
        {
            deadline.Dispose();
            foreach (var group in waiting)
            {
                group.AnswerNone();
            }
        }
        if (first)
        {
            _socket.Dispose();
            _failed(reason ?? "the socket was closed");
        }
    }

    private void Expire(uint batch)
    {
        bool waiting;
        lock (_gate)
        {
            waiting = _inFlight.ContainsKey(batch);
        }
        if (waiting)
        {
            Fail("no answer in time");
        }
    }

    /// <summary>
    /// Answers the batches of one message: one or more answers one after another, each a batch id and one byte per
    /// copy of that batch. Returns why the message makes no sense, or null.
    /// </summary>
    private string? TakeAnswers(byte[] message)
    {
        var at = 0;
        while (at < message.Length)
        {
            if (message.Length - at < 4)
            {
                return "an answer without its batch id";
            }
            (IReadOnlyList<PeerCopyGroup> Waiting, CancellationTokenSource Deadline) entry;
            lock (_gate)
            {
                if (!_inFlight.Remove(BinaryPrimitives.ReadUInt32BigEndian(message.AsSpan(at)), out entry))
                {
                    // Failed already (the socket is going away), or an answer for a batch never sent.
                    return _isFailed ? null : "an answer for an unknown batch";
                }
            }
            entry.Deadline.Dispose();
            at += 4;
            var copies = 0;
            foreach (var group in entry.Waiting)
            {
                copies += group.SessionIds.Count;
            }
            if (message.Length - at < copies)
            {
                foreach (var group in entry.Waiting)
                {
                    group.AnswerNone();
                }
                return "an answer shorter than its batch";
            }
            foreach (var group in entry.Waiting)
            {
                group.Answer(message.AsSpan(at, group.SessionIds.Count));
                at += group.SessionIds.Count;
            }
        }
        return null;
    }

    private async Task ReceiveAnswersAsync()
    {
        string? reason = null;
        try
        {
            while (reason is null && await PeerMessages.ReceiveAsync(_socket, PeerCopyCodec.MaxBodyBytes, CancellationToken.None).ConfigureAwait(false) is { } message)
            {
                reason = TakeAnswers(message);
            }
        }
        catch (Exception exception)
        {
            reason = exception.Message;
        }
        Fail(reason);
    }
}
