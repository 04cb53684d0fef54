using System.Text;
using System.Text.Json;

namespace OrleansSync.Bench.Wire;

/// <summary>
/// Socket.IO 4 (Engine.IO protocol v4) over a WebSocket from the start, as the official client does with
/// <c>transports: ["websocket"]</c>: <c>/socket.io/?EIO=4&amp;transport=websocket</c>, the server's open packet
/// (<c>0{…}</c>), the namespace connect with the JWT as auth payload (<c>40{"token":…}</c>) answered by
/// <c>40{"sid":…,"pid":…}</c> (the <c>pid</c> says connection state recovery is on) or <c>44{…}</c> (refused).
/// Events arrive as <c>42["event",{…},"&lt;offset&gt;"]</c>, one Engine.IO packet per WebSocket message; each is acked the
/// way a Socket.IO user adds acks to a broadcast: an <c>ack</c> event back (<c>42["ack","&lt;event_id&gt;"]</c>), since
/// Socket.IO's own ack callbacks exclude a packet from connection state recovery. The server's Engine.IO ping
/// (<c>2</c>) is answered with a pong (<c>3</c>). The offset, which the official client keeps to resume, is not
/// kept: the bench never reconnects.
/// </summary>
public sealed class SocketIoWire : WireSession
{
    private static ReadOnlySpan<byte> EnginePing => "2"u8;
    private static ReadOnlySpan<byte> EnginePong => "3"u8;
    private static ReadOnlySpan<byte> EventPacket => "42"u8;
    private static ReadOnlySpan<byte> ConnectPacket => "40"u8;
    private static ReadOnlySpan<byte> ConnectErrorPacket => "44"u8;
    private static ReadOnlySpan<byte> RecoveryMarker => "\"pid\":"u8;
    private static ReadOnlySpan<byte> AckPrefix => "42[\"ack\",\""u8;
    private static ReadOnlySpan<byte> AckSuffix => "\"]"u8;

    public override Task<Uri> AddressAsync(Uri baseAddress, string token, CancellationToken cancellationToken) =>
        Task.FromResult(new Uri($"ws://{baseAddress.Authority}/socket.io/?EIO=4&transport=websocket"));

    public override async Task HandshakeAsync(IMessageChannel channel, string token, CancellationToken cancellationToken)
    {
        var open = await channel.ReceiveAsync(cancellationToken).ConfigureAwait(false);
        if (open is not { } packet || packet.Length == 0 || packet.Span[0] != (byte)'0')
        {
            throw new InvalidOperationException("no Engine.IO open packet: " + Describe(open, channel));
        }
        await channel.SendAsync(Encoding.UTF8.GetBytes("40" + JsonSerializer.Serialize(new { token })), cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var answer = await channel.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            if (answer is not { } frame || frame.Span.StartsWith(ConnectErrorPacket))
            {
                throw new InvalidOperationException("connect refused: " + Describe(answer, channel));
            }
            if (frame.Span.StartsWith(ConnectPacket))
            {
                if (frame.Span.IndexOf(RecoveryMarker) < 0)
                {
                    throw new InvalidOperationException("the Socket.IO peer has connection state recovery off: " + Describe(answer, channel));
                }
                return;
            }
            if (frame.Span.SequenceEqual(EnginePing))
            {
                await channel.SendAsync(EnginePong.ToArray(), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public override void OnMessage(ReadOnlySpan<byte> message, ReplyBuffer reply, List<ReceivedEvent> events)
    {
        if (message.StartsWith(EventPacket))
        {
            TryAck(message, AckPrefix, AckSuffix, reply, events);
        }
        else if (message.SequenceEqual(EnginePing))
        {
            reply.Append(EnginePong);
        }
    }

    private static string Describe(ReadOnlyMemory<byte>? message, IMessageChannel channel) =>
        message is { } bytes ? Encoding.UTF8.GetString(bytes.Span) : channel.CloseDescription;
}
