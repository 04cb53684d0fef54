using System.Text;
using OrleansSync.Tests.Infrastructure;
using Xunit;

namespace OrleansSync.Tests.Gateway;

/// <summary>
/// The direct <c>/ws</c> upgrade answers every request head as ASP.NET's endpoint does: the same head goes to a
/// node with the direct path (the default) and to one without (<c>Gateway:DirectUpgrade=false</c>), and both must
/// give the same status. The heads are the odd ones a hand-written reader could get wrong; one node pair serves all.
/// </summary>
public sealed class DirectUpgradeParityTests(DirectUpgradeParityTests.Nodes nodes) : IClassFixture<DirectUpgradeParityTests.Nodes>
{
    public sealed class Nodes : IAsyncLifetime
    {
        public TestNode Direct { get; private set; } = null!;
        public TestNode Endpoint { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Direct = await TestNode.StartAsync();
            Endpoint = await TestNode.StartAsync(("Gateway:DirectUpgrade", "false"));
        }

        public async Task DisposeAsync()
        {
            await Direct.DisposeAsync();
            await Endpoint.DisposeAsync();
        }
    }

    private static readonly Dictionary<string, byte[]> Heads = new()
    {
        ["plain"] = Ascii(Head()),
        ["bare LF line ends"] = Ascii(Head(eol: "\n")),
        ["one bare LF"] = Ascii(Head().Replace("Connection: Upgrade\r\n", "Connection: Upgrade\n")),
        ["a bare LF ends the head"] = Ascii(Head()[..^2] + "\n"),
        ["Host with spaces"] = Ascii(Head(host: "a b c")),
        ["Host with a tab"] = Ascii(Head(host: "a\tb")),
        ["Host *"] = Ascii(Head(host: "*")),
        ["Host with userinfo"] = Ascii(Head(host: "user@example.com")),
        ["Host percent-encoded"] = Ascii(Head(host: "ex%41mple.com")),
        ["Host with sub-delimiters"] = Ascii(Head(host: "a!$&'()*+,;=b")),
        ["Host with an empty port"] = Ascii(Head(host: "127.0.0.1:")),
        ["Host with a letter port"] = Ascii(Head(host: "127.0.0.1:ab")),
        ["Host IPv6 unbracketed"] = Ascii(Head(host: "::1")),
        ["Host IPv6 unclosed"] = Ascii(Head(host: "[::1")),
        ["Host IPv6 with port"] = Ascii(Head(host: "[::1]:5080")),
        ["Host name with port"] = Ascii(Head(host: "example.com:8080")),
        ["Host with - . _ ~"] = Ascii(Head(host: "a-b.c_d~e.")),
        ["Host empty"] = Ascii(Head(host: "")),
        ["Host in UTF-8"] = Encoding.UTF8.GetBytes(Head(host: "é.example")),
        ["query in UTF-8"] = Encoding.UTF8.GetBytes(Head(target: "/ws?name=é")),
        ["query with a control byte"] = Ascii(Head(target: "/ws?x=\u0001")),
        ["Origin in UTF-8"] = Encoding.UTF8.GetBytes(Head(extra: "Origin: https://é.example\r\n")),
        ["a value in Latin-1"] = Encoding.Latin1.GetBytes(Head(extra: "X-Name: José\r\n")),
        ["a value with DEL"] = Ascii(Head(extra: "X-Name: a\u007fb\r\n")),
        ["a bare CR"] = Ascii(Head().Replace("Connection: Upgrade\r\n", "Connection: Upgrade\r")),
    };

    /// <summary>Ordinary heads that the direct path must keep for itself (else it would save nothing).</summary>
    private static readonly HashSet<string> DirectPathTakes = ["plain", "Host IPv6 with port", "Host name with port", "Host with - . _ ~"];

    public static TheoryData<string> HeadNames() => new(Heads.Keys);

    [Theory]
    [MemberData(nameof(HeadNames))]
    public async Task The_direct_path_answers_a_head_as_ASP_NET_does(string name)
    {
        var (expected, _) = await AskAsync(nodes.Endpoint, Heads[name]);
        var (actual, answeredByAspNet) = await AskAsync(nodes.Direct, Heads[name]);
        Assert.Equal(expected, actual);
        Assert.Equal(!DirectPathTakes.Contains(name), answeredByAspNet);
    }

    private static string Head(string host = "127.0.0.1", string target = "/ws", string extra = "", string eol = "\r\n") =>
        $"GET {target} HTTP/1.1{eol}Host: {host}{eol}Upgrade: websocket{eol}Connection: Upgrade{eol}" +
        $"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=={eol}Sec-WebSocket-Version: 13{eol}{extra}{eol}";

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    /// <summary>The status line of the answer, and whether ASP.NET wrote it.</summary>
    private static async Task<(string StatusLine, bool AnsweredByAspNet)> AskAsync(TestNode node, byte[] head)
    {
        await using var raw = await RawHttpConnection.OpenAsync(node.BaseAddress);
        await raw.SendAsync(head);
        var (response, _) = await raw.ReadResponseAsync();
        return (response[..response.IndexOf("\r\n", StringComparison.Ordinal)], RawHttpConnection.AnsweredByAspNet(response));
    }
}
