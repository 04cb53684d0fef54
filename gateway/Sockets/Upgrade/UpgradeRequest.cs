using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace OrleansSync.Gateway.Sockets.Upgrade;

/// <summary>What the first bytes of a connection are, as far as the direct upgrade is concerned.</summary>
internal enum UpgradeVerdict
{
    /// <summary>Could still be a <c>/ws</c> upgrade: read more.</summary>
    Incomplete,

    /// <summary>Anything else (another request, TLS, HTTP/2, an odd upgrade): Kestrel's HTTP handles it, as before.</summary>
    NotOurs,

    /// <summary>A clean RFC 6455 upgrade of <c>/ws</c>: the direct path answers it.</summary>
    Ours,
}

/// <summary>
/// A strict reader of the request head of a WebSocket upgrade to <c>/ws</c>. Anything it does not fully
/// understand is <see cref="UpgradeVerdict.NotOurs"/> and goes to ASP.NET unchanged, which answers it as it
/// always did (errors included), so this reader never has to produce an HTTP error itself.
/// </summary>
internal readonly struct UpgradeRequest
{
    /// <summary>Request heads longer than this are never ours (Kestrel's own limit answers them).</summary>
    public const int MaxHeadBytes = 8 * 1024;

    private static ReadOnlySpan<byte> Get => "GET "u8;
    private static ReadOnlySpan<byte> HeadEnd => "\r\n\r\n"u8;
    private static ReadOnlySpan<byte> Crlf => "\r\n"u8;
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private UpgradeRequest(UpgradeVerdict verdict, int headLength = 0, string? key = null, string? origin = null)
    {
        Verdict = verdict;
        HeadLength = headLength;
        Key = key;
        Origin = origin;
    }

    public UpgradeVerdict Verdict { get; }

    /// <summary>Bytes of the request head, blank line included (what the upgrade consumes).</summary>
    public int HeadLength { get; }

    /// <summary><c>Sec-WebSocket-Key</c>.</summary>
    public string? Key { get; }

    /// <summary><c>Origin</c>, if sent.</summary>
    public string? Origin { get; }

    /// <summary>Reads the head out of what arrived so far (one or more segments).</summary>
    public static UpgradeRequest Read(in ReadOnlySequence<byte> received)
    {
        if (received.IsSingleSegment)
        {
            return Read(received.FirstSpan);
        }
        var length = (int)Math.Min(received.Length, MaxHeadBytes + HeadEnd.Length);
        var copy = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            received.Slice(0, length).CopyTo(copy);
            return Read(copy.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>Reads the head out of <paramref name="received"/>.</summary>
    public static UpgradeRequest Read(ReadOnlySpan<byte> received)
    {
        var prefix = Math.Min(received.Length, Get.Length);
        if (!received[..prefix].SequenceEqual(Get[..prefix]))
        {
            return new(UpgradeVerdict.NotOurs);
        }
        var end = received.IndexOf(HeadEnd);
        if (HasBareLineFeed(end < 0 ? received : received[..end]))
        {
            return new(UpgradeVerdict.NotOurs); // Kestrel also ends lines at a lone LF: it reads such a head itself
        }
        if (end < 0)
        {
            return new(received.Length >= MaxHeadBytes ? UpgradeVerdict.NotOurs : UpgradeVerdict.Incomplete);
        }
        if (end + HeadEnd.Length > MaxHeadBytes)
        {
            return new(UpgradeVerdict.NotOurs);
        }
        var head = received[..(end + Crlf.Length)]; // every line, each ending with CRLF
        if (!Ascii.IsValid(head))
        {
            return new(UpgradeVerdict.NotOurs); // Kestrel takes UTF-8 in values and refuses other bytes: it decides
        }
        var lineEnd = head.IndexOf(Crlf);
        if (!IsWsRequestLine(head[..lineEnd]))
        {
            return new(UpgradeVerdict.NotOurs);
        }
        bool upgrade = false, connection = false, version = false, host = false;
        string? key = null, origin = null;
        for (var rest = head[(lineEnd + Crlf.Length)..]; !rest.IsEmpty; rest = rest[(lineEnd + Crlf.Length)..])
        {
            lineEnd = rest.IndexOf(Crlf);
            var line = rest[..lineEnd];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || !IsToken(line[..colon]) || HasControl(line[(colon + 1)..]))
            {
                return new(UpgradeVerdict.NotOurs); // malformed, folded or odd: Kestrel answers it (400)
            }
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Is(name, "Host"u8))
            {
                if (host || !IsPlainHost(value))
                {
                    return new(UpgradeVerdict.NotOurs);
                }
                host = true;
            }
            else if (Is(name, "Upgrade"u8))
            {
                upgrade |= HasToken(value, "websocket"u8);
            }
            else if (Is(name, "Connection"u8))
            {
                connection |= HasToken(value, "upgrade"u8);
            }
            else if (Is(name, "Sec-WebSocket-Version"u8))
            {
                version = value.SequenceEqual("13"u8);
            }
            else if (Is(name, "Sec-WebSocket-Key"u8))
            {
                if (key is not null || !IsKey(value))
                {
                    return new(UpgradeVerdict.NotOurs);
                }
                key = Encoding.ASCII.GetString(value);
            }
            else if (Is(name, "Origin"u8))
            {
                if (origin is not null)
                {
                    return new(UpgradeVerdict.NotOurs);
                }
                origin = Encoding.UTF8.GetString(value);
            }
            else if (Is(name, "Sec-WebSocket-Protocol"u8) || Is(name, "Content-Length"u8) || Is(name, "Transfer-Encoding"u8))
            {
                return new(UpgradeVerdict.NotOurs);
            }
        }
        return upgrade && connection && version && host && key is not null
            ? new(UpgradeVerdict.Ours, end + HeadEnd.Length, key, origin)
            : new(UpgradeVerdict.NotOurs);
    }

    /// <summary>The 101 answer (RFC 6455 §4.2.2): no subprotocol, no extension, as the ASP.NET endpoint answers.</summary>
    public byte[] SwitchingProtocols()
    {
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(Key + AcceptGuid)));
        return Encoding.ASCII.GetBytes(
            $"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {accept}\r\n\r\n");
    }

    /// <summary><c>GET /ws HTTP/1.1</c>, with an optional query string; the path compares as routing does (any case).</summary>
    private static bool IsWsRequestLine(ReadOnlySpan<byte> line)
    {
        line = line[Get.Length..];
        var space = line.IndexOf((byte)' ');
        if (space < 0 || !line[(space + 1)..].SequenceEqual("HTTP/1.1"u8))
        {
            return false;
        }
        var target = line[..space];
        if (target.IndexOfAnyExceptInRange((byte)'!', (byte)'~') >= 0)
        {
            return false;
        }
        var query = target.IndexOf((byte)'?');
        var path = query < 0 ? target : target[..query];
        return Ascii.EqualsIgnoreCase(path, "/ws"u8) || Ascii.EqualsIgnoreCase(path, "/ws/"u8);
    }

    /// <summary>
    /// True if a line of <paramref name="head"/> ends with LF alone. RFC 9112 §2.2 lets a server take a lone LF as a
    /// line end, and Kestrel does; this reader only knows CRLF, so such a head is never ours.
    /// </summary>
    private static bool HasBareLineFeed(ReadOnlySpan<byte> head)
    {
        for (var at = head.IndexOf((byte)'\n'); at >= 0; at = head.IndexOf((byte)'\n'))
        {
            if (at == 0 || head[at - 1] != (byte)'\r')
            {
                return true;
            }
            head = head[(at + 1)..];
        }
        return false;
    }

    /// <summary>
    /// A <c>Host</c> that every HTTP server takes: a name or IPv4 address of letters, digits, <c>-._~</c>, or an
    /// IPv6 literal in brackets, then an optional <c>:port</c> of digits. Anything else (spaces, <c>%</c>, <c>@</c>,
    /// sub-delimiters, an empty port, an empty value) is left to Kestrel, which refuses most of it with 400.
    /// </summary>
    private static bool IsPlainHost(ReadOnlySpan<byte> value)
    {
        int hostEnd;
        if (!value.IsEmpty && value[0] == (byte)'[')
        {
            hostEnd = value.IndexOf((byte)']') + 1;
            if (hostEnd <= 2 || value[1..(hostEnd - 1)].IndexOfAnyExcept("0123456789abcdefABCDEF:."u8) >= 0)
            {
                return false;
            }
        }
        else
        {
            hostEnd = value.IndexOf((byte)':');
            hostEnd = hostEnd < 0 ? value.Length : hostEnd;
            if (hostEnd == 0 || value[..hostEnd].IndexOfAnyExcept(PlainHostBytes) >= 0)
            {
                return false;
            }
        }
        var port = value[hostEnd..];
        return port.IsEmpty || (port.Length >= 2 && port[0] == (byte)':' && port[1..].IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0);
    }

    private static readonly SearchValues<byte> PlainHostBytes =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"u8);

    /// <summary>An RFC 9110 token (header names): visible ASCII except separators.</summary>
    private static bool IsToken(ReadOnlySpan<byte> name)
    {
        foreach (var c in name)
        {
            if (c <= 32 || c >= 127 || "\"(),/:;<=>?@[\\]{}"u8.Contains(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Control characters other than tab (and DEL) have no place in a header value.</summary>
    private static bool HasControl(ReadOnlySpan<byte> value)
    {
        foreach (var c in value)
        {
            if ((c < 32 && c != (byte)'\t') || c == 127)
            {
                return true;
            }
        }
        return false;
    }

    private static bool Is(ReadOnlySpan<byte> name, ReadOnlySpan<byte> expected) => Ascii.EqualsIgnoreCase(name, expected);

    /// <summary>True if the comma-separated <paramref name="value"/> lists <paramref name="token"/> (any case).</summary>
    private static bool HasToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        foreach (var range in value.Split((byte)','))
        {
            if (Ascii.EqualsIgnoreCase(value[range].Trim(" \t"u8), token))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>A key is 16 random bytes in base64: 24 characters.</summary>
    private static bool IsKey(ReadOnlySpan<byte> value)
    {
        Span<byte> decoded = stackalloc byte[18];
        return value.Length == 24 && System.Buffers.Text.Base64.DecodeFromUtf8(value, decoded, out _, out var written) == OperationStatus.Done && written == 16;
    }
}
