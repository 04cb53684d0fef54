using System.Buffers.Binary;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using OrleansSync.Gateway.Publishing;
using OrleansSync.Runtime;

namespace OrleansSync.Gateway.Cluster;

/// <summary>
/// <c>/internal/copies</c>: a WebSocket on which another node hands this one copies of events for sessions attached
/// here (the <c>Api:Key</c> in <c>X-Api-Key</c> on the upgrade). Each binary message is a batch: a 4-byte batch id
/// and the copies (<see cref="PeerCopyCodec"/>). Copies are queued and sent like local publishes, batch after batch
/// in arrival order; the answer to a batch, once its copies are durable, is a message of its id and one byte per
/// copy: 1 durable here, 0 not taken (session not attached here, or its write failed), in which case the sender
/// writes the session's inbox. One long-lived socket per pair of nodes: no HTTP request per batch.
/// </summary>
public static class PeerCopyEndpoints
{
    /// <summary>The route.</summary>
    public const string Route = "/internal/copies";

    /// <summary>Maps the route (nodes that hold sockets).</summary>
    public static RouteHandlerBuilder MapPeerCopies(this IEndpointRouteBuilder endpoints) =>
        endpoints.Map(Route, ServeAsync).AddEndpointFilter<ApiKeyFilter>();

    private static async Task<IResult> ServeAsync(HttpContext context, GrainFactory grains, IHostApplicationLifetime lifetime)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return PublishEndpoints.Error(StatusCodes.Status400BadRequest, "not_websocket", $"{Route} takes a WebSocket upgrade");
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        using var sending = new SemaphoreSlim(1, 1);
        // Ends with the request or when this node stops (the peer then falls back to the inbox), so a stopping node
        // is not held up by its peers' sockets.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var stopping = stop.Token;
        try
        {
            while (await PeerMessages.ReceiveAsync(socket, PeerCopyCodec.MaxBodyBytes + 4, stopping) is { } message)
            {
                if (message.Length < 4)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.InvalidPayloadData, "a batch starts with its 4-byte id", stopping);
                    break;
                }
                List<PeerCopy> copies;
                try
                {
                    copies = PeerCopyCodec.Decode(message.AsSpan(4));
                }
                catch (FormatException exception)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.InvalidPayloadData, Truncate(exception.Message), stopping);
                    break;
                }
                // Queue every copy of the batch in order (a session's copies keep their order); their commits are awaited
                // apart, so the next batch is queued meanwhile.
                var durable = new Task?[copies.Count];
                for (var i = 0; i < copies.Count; i++)
                {
                    durable[i] = await grains.Router.AcceptFromPeerAsync(copies[i].SessionId, copies[i].EventId, copies[i].Frame);
                }
                _ = AnswerAsync(socket, sending, BinaryPrimitives.ReadUInt32BigEndian(message), durable, stopping);
            }
        }
        catch (InvalidDataException exception) when (socket.State == WebSocketState.Open)
        {
            await socket.CloseAsync(WebSocketCloseStatus.InvalidPayloadData, Truncate(exception.Message), CancellationToken.None);
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or InvalidDataException)
        {
            // The peer went away; its unanswered copies fall back to the inbox there.
        }
        return Results.Empty;
    }

    private static async Task AnswerAsync(WebSocket socket, SemaphoreSlim sending, uint batch, Task?[] durable, CancellationToken stopping)
    {
        var answer = new byte[4 + durable.Length];
        BinaryPrimitives.WriteUInt32BigEndian(answer, batch);
        for (var i = 0; i < durable.Length; i++)
        {
            if (durable[i] is { } write)
            {
                try
                {
                    await write.ConfigureAwait(false);
                    answer[4 + i] = 1;
                }
                catch (Exception)
                {
                    // Not durable here: the sender puts this copy in the inbox (the session skips it if it already has it).
                }
            }
        }
        await sending.WaitAsync(stopping).ConfigureAwait(false);
        try
        {
            await socket.SendAsync(answer, WebSocketMessageType.Binary, endOfMessage: true, stopping).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Gone: the sender's copies time out there and take the inbox.
        }
        finally
        {
            sending.Release();
        }
    }

    private static string Truncate(string reason) => reason.Length <= 120 ? reason : reason[..120];
}
