using System.Diagnostics;
using System.Text;
using OrleansSync.Bench.Wire;

namespace OrleansSync.Bench;

/// <summary>
/// What each target's client code costs per delivery, apart from the socket (whose receive and send are the same
/// <see cref="AckingClient"/> code for every target): a typical event message as each server writes it, handed to the
/// target's <see cref="WireSession"/> many times in this process. Run with <c>--wire-cost</c>; no servers start.
/// </summary>
public static class WireCost
{
    private const int Rounds = 2_000_000;
    private const string EventId = "0193a1b2c3d4e5f60718293a4b5c6d7e";
    private const string Published = "{\"type\":\"bench\",\"seq\":1234567,\"t\":123456789012345,\"event_id\":\"" + EventId + "\"}";

    public static string Measure()
    {
        var text = new StringBuilder("| target | message | ns per delivery | reply bytes |\n|---|---|---:|---:|\n");
        foreach (var (target, session, message) in new (string, WireSession, string)[]
        {
            ("node, baseline", new NodeWire(), Published),
            ("signalr", new SignalRWire(), "{\"type\":1,\"target\":\"event\",\"arguments\":[" + Published + "]}\u001e"),
            ("socketio", new SocketIoWire(), "42[\"event\"," + Published + ",\"MzQ1Ng\"]"),
        })
        {
            var bytes = Encoding.UTF8.GetBytes(message);
            var reply = new ReplyBuffer();
            var events = new List<ReceivedEvent>();
            var replyBytes = 0;
            for (var round = 0; round < 2; round++) // the first round warms up (tiering), the second is measured
            {
                var started = Stopwatch.GetTimestamp();
                replyBytes = 0;
                for (var i = 0; i < Rounds; i++)
                {
                    reply.Clear();
                    events.Clear();
                    session.OnMessage(bytes, reply, events);
                    replyBytes += reply.Length;
                }
                if (round == 1)
                {
                    var nanoseconds = Stopwatch.GetElapsedTime(started).TotalNanoseconds / Rounds;
                    text.AppendLine(FormattableString.Invariant($"| {target} | {bytes.Length} B | {nanoseconds:F0} | {(double)replyBytes / Rounds:F0} |"));
                }
            }
        }
        return text.ToString();
    }
}
