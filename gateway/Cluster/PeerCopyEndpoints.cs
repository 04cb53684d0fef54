using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using OrleansSync.Delivery;
using OrleansSync.Gateway.Publishing;

namespace OrleansSync.Gateway.Cluster;

/// <summary>
/// <c>/internal/copies</c>: a WebSocket on which another node hands this one copies of events for sessions attached
/// here (the <c>Api:Key</c> in <c>X-Api-Key</c> on the upgrade). Each binary message is a batch: a 4-byte batch id
/// and the copies (<see cref="PeerCopyCodec"/>). Copies are queued and sent like local publishes, batch after batch
/// in arrival order; the answer to a batch, once its copies are durable, is its id and one byte per copy: 1 durable
/// here, 0 not taken (session not attached here, or its write failed), in which case the sender writes the
/// session's inbox. Answers ready at the same time travel in one message, one after another (the sender knows each
/// batch's copy count). One long-lived socket per pair of nodes: no HTTP request per batch.
/// </summary>
public static class PeerCopyEndpoints
{
    /// <summary>The route.</summary>
    public const string Route = "/internal/copies";

    /// <summary>Maps the route (nodes that hold sockets).</summary>
    public static RouteHandlerBuilder MapPeerCopies(this IEndpointRouteBuilder endpoints) =>
        endpoints.Map(Route, ServeAsync).AddEndpointFilter<ApiKeyFilter>();

    private static async Task<IResult> ServeAsync(HttpContext context, SessionRouter router, IHostApplicationLifetime lifetime)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return PublishEndpoints.Error(StatusCodes.Status400BadRequest, "not_websocket", $"{Route} takes a WebSocket upgrade");
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        // Ends with the request or when this node stops (the peer then falls back to the inbox), so a stopping node
        // is not held up by its peers' sockets.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var stopping = stop.Token;
        // Answers go out through one writer, in the order their copies became durable.
        var answers = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        var writer = WriteAnswersAsync(socket, answers.Reader, stopping);
        var pending = new List<Task>();
        (WebSocketCloseStatus Status, string Reason)? close = null;
        try
        {
            while (await PeerMessages.ReceiveAsync(socket, PeerCopyCodec.MaxBodyBytes + 4, stopping) is { } message)
            {
                if (message.Length < 4)
                {
                    close = (WebSocketCloseStatus.InvalidPayloadData, "a batch starts with its 4-byte id");
                    break;
                }
                List<PeerCopy> copies;
                try
                {
                    copies = PeerCopyCodec.Decode(message.AsSpan(4));
                }
                catch (FormatException exception)
                {
                    close = (WebSocketCloseStatus.InvalidPayloadData, Truncate(exception.Message));
                    break;
                }
                // Queue every copy of the batch in order (a session's copies keep their order); their commits are awaited
                // apart, so the next batch is queued meanwhile. A copy not taken (or failing) is answered 0.
                var durable = new Task<bool>?[copies.Count];
                for (var i = 0; i < copies.Count && !stopping.IsCancellationRequested; i++)
                {
                    durable[i] = router.AcceptFromPeerAsync(copies[i].SessionId, copies[i].EventId, copies[i].Frame);
                }
                pending.RemoveAll(static answer => answer.IsCompleted);
                pending.Add(AnswerAsync(answers.Writer, BinaryPrimitives.ReadUInt32BigEndian(message), durable));
            }
        }
        catch (InvalidDataException exception)
        {
            close = (WebSocketCloseStatus.InvalidPayloadData, Truncate(exception.Message));
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException)
        {
            // The peer went away or this node is stopping; copies already queued are still answered if the socket allows.
        }
        finally
        {
            // Answers for copies already queued (durable or failed soon), sent while the peer reads; bounded by the node stopping.
            await Task.WhenAll(pending);
            answers.Writer.TryComplete();
            await writer;
        }
        if (close is { } reason && socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try
            {
                using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseAsync(reason.Status, reason.Reason, closing.Token);
            }
            catch (Exception exception) when (exception is WebSocketException or OperationCanceledException)
            {
                // Gone already, or not reading.
            }
        }
        return Results.Empty;
    }

    private static async Task AnswerAsync(ChannelWriter<byte[]> answers, uint batch, Task<bool>?[] durable)
    {
        var answer = new byte[4 + durable.Length];
        BinaryPrimitives.WriteUInt32BigEndian(answer, batch);
        for (var i = 0; i < durable.Length; i++)
        {
            if (durable[i] is { } write)
            {
                try
                {
                    answer[4 + i] = await write.ConfigureAwait(false) ? (byte)1 : (byte)0;
                }
                catch (Exception)
                {
                    // Not durable here: the sender puts this copy in the inbox.
                }
            }
        }
        answers.TryWrite(answer);
    }

    private static async Task WriteAnswersAsync(WebSocket socket, ChannelReader<byte[]> answers, CancellationToken stopping)
    {
        var together = new List<byte[]>();
        await foreach (var first in answers.ReadAllAsync().ConfigureAwait(false))
        {
            // Answers ready together (their copies committed in one group commit) go as one message.
            together.Clear();
            together.Add(first);
            var length = first.Length;
            while (length < MaxAnswerMessageBytes && answers.TryRead(out var next))
            {
                together.Add(next);
                length += next.Length;
            }
            var message = together.Count == 1 ? first : Concat(together, length);
            try
            {
                await socket.SendAsync(message, WebSocketMessageType.Binary, endOfMessage: true, stopping).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                // Gone: the sender's copies time out there and take the inbox; keep draining so no answer task waits.
            }
        }
    }

    /// <summary>Answers are joined into one message up to about this size.</summary>
    private const int MaxAnswerMessageBytes = 64 * 1024;

    private static byte[] Concat(List<byte[]> parts, int length)
    {
        var message = new byte[length];
        var at = 0;
        foreach (var part in parts)
        {
            part.CopyTo(message, at);
            at += part.Length;
        }
        return message;
    }

    private static string Truncate(string reason) => reason.Length <= 120 ? reason : reason[..120];
}
