using System.Buffers;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using OrleansSync.Delivery;
using OrleansSync.Diagnostics;
using OrleansSync.Gateway.Auth;
using OrleansSync.Protocol;
using OrleansSync.Storage;

namespace OrleansSync.Gateway.Sockets;

/// <summary>
/// One accepted WebSocket: reads and dispatches inbound frames, writes outbound frames from a bounded
/// buffer. Session grains reach it through the gateway's observer (<see cref="GatewayObserver"/>), rooms through
/// <see cref="ISessionObserver"/>. It applies no delivery policy: grains decide what to send and when to close; it
/// only enforces the socket's own limits (frame size, floods, a full outbound buffer).
/// Outbound frames wait in a small queue drained by a pump that runs only while there is something to send,
/// so an idle socket holds no send loop, no channel and no waiting operations (memory per idle socket matters).
/// </summary>
public sealed partial class SocketConnection : ISessionObserver, IThreadPoolWorkItem
{
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);

    private readonly WebSocket _socket;
    private readonly SocketServer _server; // the services every socket shares, one reference instead of seven
    private readonly Queue<ReadOnlyMemory<byte>> _outbound = new(); // also the lock of the fields below
    private bool _pumping;
    private bool _outboundDone;
    private TaskCompletionSource? _outboundFinished;
    private readonly CancellationTokenSource _aborted = new();
    private FloodGuard _flood;

    /// <summary>
    /// Session frames handed to this socket and not answered by an ack yet. An ack within this credit answers what the
    /// server sent, however fast the application publishes, so it costs no flood budget; acks beyond it (ids never
    /// sent, or more acks than sends) count as frames like any other.
    /// </summary>
    private int _ackCredit;
    private PushOrder? _pushOrder; // made by the first push of the session
    private Action<ReadOnlyMemory<byte>>? _sendInOrder;
    private (WebSocketCloseStatus Code, string Reason)? _closeRequest;
    private bool _dropQueued; // closing without sending what is queued (under the lock of _outbound)
    private int _closing;

    /// <summary>Wraps an accepted socket.</summary>
    internal SocketConnection(WebSocket socket, SocketServer server)
    {
        _socket = socket;
        _server = server;
        _flood = new FloodGuard(server.Options.MaxFramesPerSecond, server.Time);
    }

    /// <inheritdoc />
    public string SocketId { get; } = Ids.NewSocketId();

    /// <summary>What logs show of <see cref="SocketId"/> (never the whole id).</summary>
    private string LogTag => Ids.LogTag(SocketId);

    /// <summary>The authenticated user, or null for a socket that never sent a valid <c>auth</c>.</summary>
    public TokenUser? User { get; private set; }

    /// <summary>The attached session, once <c>auth_ok</c> was sent.</summary>
    public string? SessionId { get; private set; }


    /// <summary>
    /// Completes when the store knows this socket (set by <see cref="SocketRegistry"/> when it opens). Rooms accept
    /// only ids of live sockets, so <c>getId</c> answers only once every node can find it. <c>auth_ok</c> does not
    /// wait: the reliable protocol's answer stays off the room store's write path (its registration was queued when
    /// the socket opened, before the token was even read).
    /// </summary>
    internal Task Registered { get; set; } = Task.CompletedTask;

    /// <summary>Serves the socket until it closes, then unregisters it. Never throws for client misbehaviour.</summary>
    internal async Task RunAsync()
    {
        try
        {
            while (_socket.State == WebSocketState.Open && Volatile.Read(ref _closing) == 0)
            {
                // Wait for data without holding a buffer: idle sockets then cost no receive memory.
                var first = await _socket.ReceiveAsync(Memory<byte>.Empty, _aborted.Token).ConfigureAwait(false);
                if (first.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
                if (!await ReceiveMessageAsync(first).ConfigureAwait(false))
                {
                    break;
                }
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or IOException)
        {
            Log.SocketLost(_server.Logger, LogTag, exception.Message);
        }
        finally
        {
            if (SessionId is { } sessionId)
            {
                try
                {
                    await _server.Sessions.DetachAsync(sessionId, SocketId).ConfigureAwait(false);
                }
                catch (Exception exception)
                {
                    Log.DetachFailed(_server.Logger, LogTag, sessionId, exception);
                }
            }
            BoundCloseHandshake(); // also when the peer closed first: a peer that stops reading cannot hold the pump
            await FinishOutbound().ConfigureAwait(false);
            await AwaitPeerCloseAsync().ConfigureAwait(false);
            if (_socket.State != WebSocketState.Closed)
            {
                _socket.Abort();
            }
            _socket.Dispose();
            _aborted.Dispose();
            await _server.Registry.RemoveAsync(this).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public void OnSessionOpened(SessionOpened opened)
    {
        SessionId = opened.SessionId;
        _pushOrder?.Reset();
        TryQueue(ServerFrames.AuthOk(opened.UserId, opened.SessionId, opened.NeedFullSync, SocketId));
    }

    /// <inheritdoc />
    public bool TrySend(ReadOnlyMemory<byte> utf8Frame) => TryQueue(utf8Frame);

    /// <summary>
    /// Push <paramref name="order"/> of the attached session, put back in the order its grain sent it
    /// (<see cref="PushOrder"/>) before it is queued.
    /// </summary>
    internal void SendFromSession(long order, ReadOnlyMemory<byte> utf8Frame)
    {
        _pushOrder ??= new PushOrder(_server.Time);
        _pushOrder.Accept(order, utf8Frame, _sendInOrder ??= SendFromSession);
    }

    /// <summary>
    /// A frame of the attached session. A full outbound buffer closes the socket (4004): the close detaches the
    /// session, which keeps its queue for the tab's resume.
    /// </summary>
    private void SendFromSession(ReadOnlyMemory<byte> utf8Frame)
    {
        if (TryQueue(utf8Frame))
        {
            Interlocked.Increment(ref _ackCredit); // the tab may answer it with an ack
        }
        else
        {
            Log.SlowConsumer(_server.Logger, LogTag, SessionId);
            CloseAsSlowConsumer();
        }
    }

    /// <inheritdoc />
    public void Close(SessionCloseReason reason)
    {
        var (code, text) = reason switch
        {
            SessionCloseReason.Replaced => (CloseCodes.SessionReplaced, CloseReasons.SessionReplaced),
            SessionCloseReason.MaxAttemptsReached => (CloseCodes.MaxAttempts, CloseReasons.MaxAttempts),
            SessionCloseReason.QueueOverflow => (CloseCodes.QueueOverflow, CloseReasons.QueueOverflow),
            SessionCloseReason.GrainLost => (CloseCodes.ServerStopping, CloseReasons.SessionMoved),
            _ => (WebSocketCloseStatus.NormalClosure, CloseReasons.Closed),
        };
        RequestClose(code, text);
    }

    /// <summary>Starts closing with <paramref name="code"/>: pending frames are dropped and the close handshake is bounded in time.</summary>
    public void RequestClose(WebSocketCloseStatus code, string reason) => StartClose(code, reason, dropQueued: true);

    /// <summary>Starts closing with <paramref name="code"/> once what is queued (an error frame saying why) has been sent.</summary>
    private void CloseAfterQueued(WebSocketCloseStatus code, string reason) => StartClose(code, reason, dropQueued: false);

    private void StartClose(WebSocketCloseStatus code, string reason, bool dropQueued)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return;
        }
        lock (_outbound)
        {
            _closeRequest = (code, reason); // under the lock the pump reads them with
            _dropQueued = dropQueued;
        }
        FinishOutbound();
        BoundCloseHandshake();
    }

    /// <summary>Reads and handles one message. False when the socket is closing.</summary>
    private async Task<bool> ReceiveMessageAsync(ValueWebSocketReceiveResult first)
    {
        var message = await ReadMessageAsync(first).ConfigureAwait(false);
        if (message.Buffer is null)
        {
            return false;
        }
        try
        {
            if (!Accept(message.Type))
            {
                return false;
            }
            await HandleTextAsync(message.Buffer.AsMemory(0, message.Length)).ConfigureAwait(false);
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(message.Buffer);
        }
    }

    /// <summary>Spends one unit of ack credit; false if the server has sent nothing that is still unanswered.</summary>
    private bool TryTakeAckCredit()
    {
        var credit = Volatile.Read(ref _ackCredit);
        while (credit > 0)
        {
            var seen = Interlocked.CompareExchange(ref _ackCredit, credit - 1, credit);
            if (seen == credit)
            {
                return true;
            }
            credit = seen;
        }
        return false;
    }

    /// <summary>Takes one token from the frame budget; closes the socket (1008) when it is spent.</summary>
    private bool WithinRate()
    {
        if (_flood.TryTake())
        {
            return true;
        }
        Rejected(SocketErrorCodes.Flood);
        RequestClose(CloseCodes.Flood, CloseReasons.Flood);
        return false;
    }

    /// <summary>Rejects binary frames (the socket closes with 1003).</summary>
    private bool Accept(WebSocketMessageType type)
    {
        if (type == WebSocketMessageType.Binary)
        {
            Rejected(SocketErrorCodes.Binary);
            RequestClose(CloseCodes.BinaryFrame, CloseReasons.BinaryFrame);
            return false;
        }
        return true;
    }

    /// <summary>
    /// Reads one whole message into a pooled buffer, grown up to the frame limit. A null buffer means the
    /// socket is closing (peer close, or the message was too big); otherwise the caller returns the buffer.
    /// </summary>
    private async ValueTask<(WebSocketMessageType Type, byte[]? Buffer, int Length)> ReadMessageAsync(ValueWebSocketReceiveResult first)
    {
        var limit = _server.Options.MaxFrameBytes;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(4096, limit + 1));
        var length = first.Count; // 0: the peek read no payload
        var result = first;
        while (!result.EndOfMessage)
        {
            if (length == buffer.Length)
            {
                if (length > limit)
                {
                    break;
                }
                var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(length * 2, limit + 1));
                buffer.AsSpan(0, length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = bigger;
            }
            result = await _socket.ReceiveAsync(buffer.AsMemory(length), _aborted.Token).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                return (first.MessageType, null, 0);
            }
            length += result.Count;
        }
        if (length > limit)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            Rejected(SocketErrorCodes.TooBig);
            RequestClose(CloseCodes.TooBig, CloseReasons.TooBig(limit));
            return (first.MessageType, null, 0);
        }
        return (first.MessageType, buffer, length);
    }

    private async Task HandleTextAsync(ReadOnlyMemory<byte> utf8)
    {
        var parsed = ClientFrame.TryParse(utf8.Span, out var frame, out var parseError);
        var answer = parsed && frame.Type == ClientFrameTypes.Ack && TryTakeAckCredit();
        if (!answer && !WithinRate())
        {
            return;
        }
        if (utf8.Span.SequenceEqual(ClientFrameTypes.GetIdText))
        {
            await AwaitRegisteredAsync().ConfigureAwait(false);
            Enqueue(ServerFrames.SocketId(SocketId));
            return;
        }
        if (!parsed)
        {
            RejectFrame(SocketErrorCodes.BadJson, parseError!);
            return;
        }
        switch (frame.Type)
        {
            case ClientFrameTypes.Ack:
                if (SessionId is null)
                {
                    RejectFrame(SocketErrorCodes.NotAuthenticated, "send auth before ack");
                }
                else if (frame.EventId is not { Length: > 0 } eventId)
                {
                    RejectFrame(SocketErrorCodes.MissingField, "ack needs a string event_id");
                }
                else
                {
                    _server.Sessions.Ack(SessionId, eventId); // nothing waits: the loop reads on
                }
                return;
            case ClientFrameTypes.Auth:
                await AuthenticateAsync(frame).ConfigureAwait(false);
                return;
            case ClientFrameTypes.Ping:
                Enqueue(ServerFrames.Pong);
                return;
            case null:
                RejectFrame(SocketErrorCodes.MissingField, "frame needs a string type");
                return;
            default:
                RejectFrame(SocketErrorCodes.UnknownType, $"unknown frame type '{Truncate(frame.Type)}'");
                return;
        }
    }

    private async Task AuthenticateAsync(ClientFrame frame)
    {
        if (User is not null)
        {
            RejectFrame(SocketErrorCodes.AlreadyAuthenticated, "this socket already sent auth");
            return;
        }
        var (user, error) = await _server.Tokens.ValidateAsync(frame.Token).ConfigureAwait(false);
        if (user is null)
        {
            Log.AuthFailed(_server.Logger, LogTag, error!);
            _server.Metrics.FrameRejected(SocketErrorCodes.AuthFailed);
            RequestClose(CloseCodes.AuthFailed, CloseReasons.AuthFailed(error!));
            return;
        }
        User = user;
        // auth_ok names this socket's id, which any node's REST routes must then find: its row is committed first. The
        // session's claim drains the writer of the grain's silo, which is this node's only when both roles share it.
        await AwaitRegisteredAsync().ConfigureAwait(false);
        string sessionId;
        try
        {
            // auth_ok travels apart from the answer (through the gateway's observer), so the id may arrive here first.
            sessionId = await _server.Sessions.OpenAsync(user.UserId, frame.SessionId, _server.Gateway.LinkFor(SocketId)).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            SessionUnavailable(exception);
            return;
        }
        SessionId ??= sessionId;
        _server.Registry.Authenticated(this);
    }

    /// <summary>
    /// The session could not be opened or resumed (the store cannot write, or a grain call failed): the tab is told so
    /// and asked to come back later (1013), the session stays as the store has it. A store fault is logged once per
    /// episode by the store's health, so here only at debug level; anything else is an error.
    /// </summary>
    private void SessionUnavailable(Exception exception)
    {
        if (exception is StoreUnavailableException unavailable)
        {
            Log.SessionUnavailable(_server.Logger, LogTag, unavailable.Reason);
        }
        else
        {
            Log.SessionOpenFailed(_server.Logger, LogTag, exception);
        }
        Enqueue(ServerFrames.Error(SocketErrorCodes.Unavailable, exception is StoreUnavailableException
            ? "the session cannot be opened right now: the server's store cannot write; reconnect later"
            : "the session cannot be opened right now; reconnect later"));
        CloseAfterQueued(CloseCodes.TryAgainLater, CloseReasons.TryAgainLater);
    }

    /// <summary>
    /// Waits for the store to know this socket. A failed registration still lets the id out: this node finds its
    /// own sockets without the store, and only other nodes' REST calls for this socket are refused.
    /// </summary>
    private async Task AwaitRegisteredAsync()
    {
        try
        {
            await Registered.ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            if (exception is StoreUnavailableException)
            {
                Log.RegistrationRefused(_server.Logger, LogTag, exception.Message); // the store's health logs the episode
            }
            else
            {
                Log.RegistrationFailed(_server.Logger, LogTag, exception);
            }
            Registered = Task.CompletedTask; // logged once
        }
    }

    private void RejectFrame(string code, string message)
    {
        Rejected(code);
        Enqueue(ServerFrames.Error(code, message));
    }

    private void Enqueue(byte[] frame)
    {
        if (!TryQueue(frame))
        {
            CloseAsSlowConsumer();
        }
    }

    /// <summary>The outbound buffer is full: the peer does not read fast enough (counted once, then 4004).</summary>
    private void CloseAsSlowConsumer()
    {
        if (Volatile.Read(ref _closing) == 0)
        {
            Rejected(SocketErrorCodes.SlowConsumer);
            RequestClose(CloseCodes.SlowConsumer, CloseReasons.SlowConsumer);
        }
    }

    /// <summary>
    /// Queues a frame for the pump; false only if the buffer is full (a slow consumer). A closing or broken socket
    /// swallows frames: what the session sent stays in its queue and is replayed on resume.
    /// </summary>
    private bool TryQueue(ReadOnlyMemory<byte> frame)
    {
        lock (_outbound)
        {
            if (_outboundDone)
            {
                return true;
            }
            if (_outbound.Count >= _server.Options.OutboundBufferFrames)
            {
                return false;
            }
            _outbound.Enqueue(frame);
            if (_pumping)
            {
                return true;
            }
            _pumping = true;
        }
        // An idle socket's pump starts on the caller's thread (often a grain turn): the send hands the frame to the
        // connection's output pipe and usually completes at once; a thread-pool hop per frame cost more than that.
        _ = PumpAsync();
        return true;
    }

    /// <summary>
    /// Accepts no more frames; the pump sends what is queued (nothing if a close was requested) and then the close
    /// frame. The task completes when that is done or failed.
    /// </summary>
    private Task FinishOutbound()
    {
        lock (_outbound)
        {
            _outboundDone = true;
            _outboundFinished ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            StartPump();
            return _outboundFinished.Task;
        }
    }

    /// <summary>Under the lock (the close path): starts the pump on the thread pool unless it runs; it cannot run under the lock.</summary>
    private void StartPump()
    {
        if (!_pumping)
        {
            _pumping = true;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    void IThreadPoolWorkItem.Execute() => _ = PumpAsync();

    private async Task PumpAsync()
    {
        try
        {
            while (true)
            {
                ReadOnlyMemory<byte> frame;
                lock (_outbound)
                {
                    if (_dropQueued || !_outbound.TryDequeue(out frame))
                    {
                        if (!_outboundDone)
                        {
                            _pumping = false; // idle again; the next frame starts a new run
                            return;
                        }
                        _outbound.Clear(); // closing: what is left stays queued in the session, for the resume
                        break;
                    }
                }
                await _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, _aborted.Token).ConfigureAwait(false);
            }
            (WebSocketCloseStatus Code, string Reason)? requested;
            lock (_outbound)
            {
                requested = _closeRequest;
            }
            var (code, reason) = requested ?? (WebSocketCloseStatus.NormalClosure, CloseReasons.Closed);
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(code, reason, _aborted.Token).ConfigureAwait(false);
            }
            FinishPump();
        }
        catch (Exception exception)
        {
            // Usually the peer is gone or did not finish the close handshake in time; whatever it was, the receive
            // side ends too, and the socket's end must never wait for a pump that died.
            if (exception is not (WebSocketException or OperationCanceledException or IOException or ObjectDisposedException))
            {
                Log.SendFailed(_server.Logger, LogTag, exception);
            }
            FinishPump();
        }
    }

    /// <summary>The pump has stopped for good: nothing more is queued, and whoever waits for the close is released.</summary>
    private void FinishPump()
    {
        lock (_outbound)
        {
            _outboundDone = true;
            _pumping = false; // a later FinishOutbound runs it once more, to complete its task
            _outbound.Clear();
            _outboundFinished?.TrySetResult();
        }
    }

    /// <summary>From now on the close handshake (our pending sends, the peer's close frame) has a bounded time.</summary>
    private void BoundCloseHandshake()
    {
        try
        {
            _aborted.CancelAfter(CloseHandshakeTimeout);
        }
        catch (ObjectDisposedException)
        {
            // Already finished.
        }
    }

    /// <summary>
    /// After our close frame, wait (bounded) for the peer's: aborting at once would reset the TCP connection
    /// and could discard the close frame, and with it the close code, before the peer reads it. Acks the peer sent
    /// before it saw our close are still applied (within the socket's ack credit; everything else is ignored): a tab
    /// that answered what it got must not have it replayed at its resume, or a close would undo its progress.
    /// </summary>
    private async Task AwaitPeerCloseAsync()
    {
        try
        {
            while (_socket.State == WebSocketState.CloseSent)
            {
                var first = await _socket.ReceiveAsync(Memory<byte>.Empty, _aborted.Token).ConfigureAwait(false);
                if (first.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
                var message = await ReadMessageAsync(first).ConfigureAwait(false);
                if (message.Buffer is null)
                {
                    break;
                }
                try
                {
                    await ApplyLateAckAsync(message.Buffer.AsMemory(0, message.Length)).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(message.Buffer);
                }
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or IOException)
        {
            // The peer did not answer in time; the socket is aborted below.
        }
    }

    /// <summary>An ack read after our close: the session (detached by now) still drops the event from its durable queue.</summary>
    private async Task ApplyLateAckAsync(ReadOnlyMemory<byte> utf8)
    {
        if (SessionId is { } sessionId && ClientFrame.TryParse(utf8.Span, out var frame, out _)
            && frame is { Type: ClientFrameTypes.Ack, EventId: { Length: > 0 } eventId } && TryTakeAckCredit())
        {
            try
            {
                await _server.Sessions.Grain(sessionId).AckAsync(eventId).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                Log.LateAckFailed(_server.Logger, LogTag, sessionId, exception); // the event stays queued: replayed, acked again
            }
        }
    }

    /// <summary>Logs and counts a rejected frame; <paramref name="reason"/> is one of <see cref="SocketErrorCodes"/>.</summary>
    private void Rejected(string reason)
    {
        Log.FrameRejected(_server.Logger, LogTag, reason);
        _server.Metrics.FrameRejected(reason);
    }

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
