using System.Buffers.Text;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace OrleansSync.Bench.Wire;

/// <summary>
/// ASP.NET Core SignalR's JSON hub protocol (version 2) over a WebSocket, with stateful reconnect, spoken as the
/// official clients speak it: <c>POST /hub/negotiate?negotiateVersion=1&amp;useStatefulReconnect=true</c> with the JWT as
/// a bearer header, the WebSocket with <c>id</c> and <c>access_token</c> in the query, the handshake
/// <c>{"protocol":"json","version":2}</c>, records ended by 0x1E (several may share one WebSocket message).
/// Every bench event (an invocation of <c>event</c>) is acked the way a SignalR user adds acks: a non-blocking
/// invocation of the hub method <c>Ack(eventId)</c>. Stateful reconnect asks the client to acknowledge the
/// invocations it received (<c>{"type":8,"sequenceId":N}</c>), which the official clients do once a second; here
/// that record rides in the reply to the first message after a second has passed. The server's pings are answered
/// with a ping (the official client pings every 15 s when it has sent nothing; the server drops a client silent for 30 s).
/// </summary>
public sealed class SignalRWire : WireSession
{
    private const byte RecordSeparator = 0x1E;
    private static readonly TimeSpan SequenceAckInterval = TimeSpan.FromSeconds(1);
    private static readonly HttpClient Negotiation = new(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 64 })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    private static ReadOnlySpan<byte> Handshake => "{\"protocol\":\"json\",\"version\":2}\u001e"u8;
    private static ReadOnlySpan<byte> InvocationStart => "{\"type\":1,"u8;
    private static ReadOnlySpan<byte> Ping => "{\"type\":6}"u8;
    private static ReadOnlySpan<byte> PingRecord => "{\"type\":6}\u001e"u8;
    private static ReadOnlySpan<byte> AckPrefix => "{\"type\":1,\"target\":\"Ack\",\"arguments\":[\""u8;
    private static ReadOnlySpan<byte> AckSuffix => "\"]}\u001e"u8;
    private static ReadOnlySpan<byte> SequenceAckPrefix => "{\"type\":8,\"sequenceId\":"u8;
    private static ReadOnlySpan<byte> SequenceAckSuffix => "}\u001e"u8;
    private static ReadOnlySpan<byte> ReadyTarget => "\"target\":\"ready\""u8;

    private long _invocationsReceived;
    private long _invocationsAcked;
    private long _lastSequenceAck;

    public override async Task<Uri> AddressAsync(Uri baseAddress, string token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseAddress, "hub/negotiate?negotiateVersion=1&useStatefulReconnect=true"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await Negotiation.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"negotiate answered {(int)response.StatusCode}: {body}");
        }
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (!root.TryGetProperty("useStatefulReconnect", out var stateful) || stateful.ValueKind != JsonValueKind.True)
        {
            throw new InvalidOperationException("the SignalR peer did not grant stateful reconnect: " + body);
        }
        var connectionToken = root.GetProperty("connectionToken").GetString();
        return new Uri($"ws://{baseAddress.Authority}/hub?id={Uri.EscapeDataString(connectionToken!)}&access_token={Uri.EscapeDataString(token)}");
    }

    public override async Task HandshakeAsync(IMessageChannel channel, string token, CancellationToken cancellationToken)
    {
        await channel.SendAsync(Handshake.ToArray(), cancellationToken).ConfigureAwait(false);
        var answered = false;
        while (true)
        {
            var message = await channel.ReceiveAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("handshake refused: " + channel.CloseDescription);
            if (!answered)
            {
                // The handshake answer is the first record: {} or {"error":"…"}.
                var first = message.Span[..Math.Max(0, message.Span.IndexOf(RecordSeparator))];
                if (!first.SequenceEqual("{}"u8))
                {
                    throw new InvalidOperationException("handshake refused: " + Encoding.UTF8.GetString(first));
                }
                answered = true;
                message = message[(first.Length + 1)..];
            }
            // The hub's OnConnectedAsync joins the user's group, then invokes "ready" on this client.
            var ready = message.Span.IndexOf(ReadyTarget) >= 0;
            CountInvocations(message.Span);
            if (ready)
            {
                return;
            }
        }
    }

    public override void OnMessage(ReadOnlySpan<byte> message, ReplyBuffer reply, List<ReceivedEvent> events)
    {
        var rest = message;
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf(RecordSeparator);
            var record = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[(end + 1)..];
            if (record.StartsWith(InvocationStart))
            {
                _invocationsReceived++;
                TryAck(record, AckPrefix, AckSuffix, reply, events);
            }
            else if (record.SequenceEqual(Ping))
            {
                reply.Append(PingRecord);
            }
            // Else the server's sequence ack of our Ack invocations (type 8) or a close (7): nothing to answer.
        }
        if (_invocationsReceived > _invocationsAcked && Stopwatch.GetElapsedTime(_lastSequenceAck) >= SequenceAckInterval)
        {
            Span<byte> number = stackalloc byte[20];
            Utf8Formatter.TryFormat(_invocationsReceived, number, out var written);
            reply.Append(SequenceAckPrefix);
            reply.Append(number[..written]);
            reply.Append(SequenceAckSuffix);
            _invocationsAcked = _invocationsReceived;
            _lastSequenceAck = Stopwatch.GetTimestamp();
        }
    }

    private void CountInvocations(ReadOnlySpan<byte> records)
    {
        for (var at = records.IndexOf(InvocationStart); at >= 0; at = records.IndexOf(InvocationStart))
        {
            _invocationsReceived++;
            records = records[(at + InvocationStart.Length)..];
        }
    }
}
