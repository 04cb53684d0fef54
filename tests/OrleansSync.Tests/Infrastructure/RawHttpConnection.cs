using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>
/// A TCP connection to a node that writes HTTP/1.1 by hand: for what <see cref="System.Net.Http.HttpClient"/> and
/// <see cref="ClientWebSocket"/> never do (a head in pieces, an upgrade on a reused connection, silence).
/// </summary>
public sealed class RawHttpConnection : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;

    private RawHttpConnection(TcpClient tcp)
    {
        _tcp = tcp;
        _tcp.NoDelay = true;
        _stream = tcp.GetStream();
    }

    public static async Task<RawHttpConnection> OpenAsync(Uri node)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(node.Host, node.Port);
        return new RawHttpConnection(tcp);
    }

    /// <summary>An upgrade head for <c>/ws</c> with the RFC 6455 sample key (its accept value is known).</summary>
    public static string UpgradeHead(string version = "13", string path = "/ws") =>
        $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        $"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: {version}\r\n\r\n";

    /// <summary>The accept value RFC 6455 §1.3 gives for the sample key.</summary>
    public const string SampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    /// <summary>
    /// True if Kestrel's HTTP wrote this response head (it always adds <c>Server: Kestrel</c>); the direct upgrade's
    /// 101 carries only the four lines RFC 6455 needs.
    /// </summary>
    public static bool AnsweredByAspNet(string head) => head.Contains("\r\nServer: Kestrel\r\n", StringComparison.Ordinal);

    public Task SendAsync(string text) => SendAsync(Encoding.ASCII.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    /// <summary>
    /// Reads a response head; then its body, framed by Content-Length or chunked (none otherwise). Fails if the
    /// connection closes first.
    /// </summary>
    public async Task<(string Head, string Body)> ReadResponseAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? WsClient.DefaultTimeout);
        var head = await ReadUntilAsync("\r\n\r\n"u8.ToArray(), cts.Token);
        var length = 0;
        var chunked = false;
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                length = int.Parse(line["Content-Length:".Length..].Trim());
            }
            chunked |= line.Equals("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase);
        }
        if (!chunked)
        {
            var body = new byte[length];
            await _stream.ReadExactlyAsync(body, cts.Token);
            return (head, Encoding.UTF8.GetString(body));
        }
        var chunks = new List<byte>();
        while (true)
        {
            var size = Convert.ToInt32((await ReadUntilAsync("\r\n"u8.ToArray(), cts.Token)).TrimEnd().Split(';')[0], 16);
            var chunk = new byte[size + 2]; // and its CRLF
            await _stream.ReadExactlyAsync(chunk, cts.Token);
            if (size == 0)
            {
                return (head, Encoding.UTF8.GetString(chunks.ToArray()));
            }
            chunks.AddRange(chunk.AsSpan(0, size).ToArray());
        }
    }

    /// <summary>
    /// Sends <paramref name="chunks"/> chunks of <paramref name="chunkBytes"/> bytes of <paramref name="fill"/> as a chunked
    /// body (without its last, empty chunk), stopping early if the server answers or closes meanwhile. Returns how many
    /// body bytes were sent.
    /// </summary>
    public async Task<long> SendChunksAsync(int chunks, int chunkBytes, byte fill)
    {
        var frame = new byte[chunkBytes + 16];
        var prefix = Encoding.ASCII.GetBytes($"{chunkBytes:X}\r\n");
        prefix.CopyTo(frame, 0);
        frame.AsSpan(prefix.Length, chunkBytes).Fill(fill);
        "\r\n"u8.CopyTo(frame.AsSpan(prefix.Length + chunkBytes));
        var sent = 0L;
        for (var i = 0; i < chunks && !_stream.DataAvailable; i++)
        {
            try
            {
                await _stream.WriteAsync(frame.AsMemory(0, prefix.Length + chunkBytes + 2));
            }
            catch (IOException)
            {
                break; // the server closed its side
            }
            sent += chunkBytes;
        }
        return sent;
    }

    /// <summary>True if the server closes the connection (read returns 0 or resets) within <paramref name="timeout"/>.</summary>
    public async Task<bool> ClosedByServerWithinAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[256];
        try
        {
            while (await _stream.ReadAsync(buffer, cts.Token) > 0)
            {
            }
            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The connection as a client WebSocket, after a 101 head was read.</summary>
    public WebSocket AsWebSocket() => WebSocket.CreateFromStream(_stream, new WebSocketCreationOptions { IsServer = false });

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return default;
    }

    private async Task<string> ReadUntilAsync(byte[] terminator, CancellationToken cancellationToken)
    {
        var collected = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            // One byte at a time: nothing past the head is consumed, so the socket can become a WebSocket after it.
            if (await _stream.ReadAsync(one, cancellationToken) == 0)
            {
                throw new IOException("connection closed before the response head ended: " + Encoding.ASCII.GetString(collected.ToArray()));
            }
            collected.Add(one[0]);
            if (collected.Count >= terminator.Length && collected.TakeLast(terminator.Length).SequenceEqual(terminator))
            {
                return Encoding.ASCII.GetString(collected.ToArray());
            }
        }
    }
}
