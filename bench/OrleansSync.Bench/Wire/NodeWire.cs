using System.Text;
using System.Text.Json;

namespace OrleansSync.Bench.Wire;

/// <summary>
/// The node's reliable session protocol (docs/PROTOCOL.md), which the baseline speaks too: <c>/ws</c>, an
/// <c>auth</c> frame with the JWT, <c>auth_ok</c>, then one event per text message, each answered with
/// <c>{"type":"ack","event_id":…}</c>. Keep-alive is the server's WebSocket pings, answered by the socket itself.
/// The <c>session_id</c> of the first <c>auth_ok</c> is kept and sent again by every later handshake (a resume), as a
/// tab keeps it in its storage; a resume that answers <c>need_full_sync</c> or another session id lost events.
/// </summary>
public sealed class NodeWire : WireSession
{
    private static ReadOnlySpan<byte> AckPrefix => "{\"type\":\"ack\",\"event_id\":\""u8;
    private static ReadOnlySpan<byte> AckSuffix => "\"}"u8;
    private static ReadOnlySpan<byte> AuthOk => "\"auth_ok\""u8;

    private string? _sessionId;

    public override bool CanResume => true;

    public override Task<Uri> AddressAsync(Uri baseAddress, string token, CancellationToken cancellationToken) =>
        Task.FromResult(new Uri($"ws://{baseAddress.Authority}/ws"));

    public override async Task HandshakeAsync(IMessageChannel channel, string token, CancellationToken cancellationToken)
    {
        var auth = JsonSerializer.Serialize(new { type = "auth", token, session_id = _sessionId });
        await channel.SendAsync(Encoding.UTF8.GetBytes(auth), cancellationToken).ConfigureAwait(false);
        var answer = await channel.ReceiveAsync(cancellationToken).ConfigureAwait(false);
        if (answer is not { } frame || frame.Span.IndexOf(AuthOk) < 0)
        {
            throw new InvalidOperationException("auth refused: " + (answer is { } text ? Encoding.UTF8.GetString(text.Span) : channel.CloseDescription));
        }
        using var document = JsonDocument.Parse(frame);
        var sessionId = document.RootElement.GetProperty("session_id").GetString();
        var resumed = _sessionId is not null;
        ResumeNeedsFullSync = resumed && (sessionId != _sessionId || document.RootElement.GetProperty("need_full_sync").GetBoolean());
        _sessionId = sessionId;
    }

    public override void OnMessage(ReadOnlySpan<byte> message, ReplyBuffer reply, List<ReceivedEvent> events) =>
        TryAck(message, AckPrefix, AckSuffix, reply, events);
}
