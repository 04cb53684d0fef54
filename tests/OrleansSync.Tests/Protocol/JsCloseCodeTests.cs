using System.Net.WebSockets;
using System.Reflection;
using System.Text.RegularExpressions;
using OrleansSync.Protocol;
using Xunit;

namespace OrleansSync.Tests.Protocol;

/// <summary>
/// The browser client keeps its own copy of the server's close codes (<c>RELIABLE_CLOSE</c> in
/// clients/js/orleanssync.js). These tests hold the copy to <see cref="CloseCodes"/>: same names (camelCase),
/// same numbers, and every code of this protocol's own range present.
/// </summary>
public sealed partial class JsCloseCodeTests
{
    [Fact]
    public void Every_code_in_the_JS_table_equals_the_server_code_of_the_same_name()
    {
        var js = ReadJsTable();
        var server = ServerCodes();

        Assert.NotEmpty(js);
        foreach (var (name, code) in js)
        {
            var serverName = char.ToUpperInvariant(name[0]) + name[1..];
            Assert.True(server.TryGetValue(serverName, out var expected), $"RELIABLE_CLOSE.{name} has no CloseCodes.{serverName}");
            Assert.Equal((int)expected, code);
        }
    }

    [Fact]
    public void Every_server_code_of_the_protocol_range_is_in_the_JS_table()
    {
        // 4000–4999 are this protocol's codes; the client names each one it may receive. The RFC 6455 codes
        // (1001 server_stopping; 1003, 1008, 1009 for a client that broke a socket rule) are deliberately absent:
        // the client sends no binary, no oversized frames and no floods, and it reconnects after any close, unknown
        // codes included, so it needs no name for them. For the same reason 4003, 4004 and 4005 change nothing in
        // what it does (reconnect; the server's auth_ok then says whether to run a full sync); they are listed so the
        // client's copy is complete and a new server code shows up here first.
        var js = ReadJsTable().Values.ToHashSet();
        var missing = ServerCodes()
            .Where(code => (int)code.Value is >= 4000 and <= 4999 && !js.Contains((int)code.Value))
            .Select(code => $"{code.Key} ({(int)code.Value})")
            .ToList();

        Assert.Empty(missing);
    }

    /// <summary>The <c>public const</c> close codes of the server, by name.</summary>
    private static Dictionary<string, WebSocketCloseStatus> ServerCodes() =>
        typeof(CloseCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(field => field.IsLiteral && field.FieldType == typeof(WebSocketCloseStatus))
            .ToDictionary(field => field.Name, field => (WebSocketCloseStatus)field.GetRawConstantValue()!);

    /// <summary>Parses <c>const RELIABLE_CLOSE = Object.freeze({ name: number, … })</c>; anything else in it fails the test.</summary>
    private static Dictionary<string, int> ReadJsTable()
    {
        var source = File.ReadAllText(Path.Combine(RepositoryRoot(), "clients", "js", "orleanssync.js"));
        var table = TablePattern().Match(source);
        Assert.True(table.Success, "orleanssync.js has no `const RELIABLE_CLOSE = Object.freeze({ ... })`");
        var body = table.Groups["body"].Value;
        var entries = EntryPattern().Matches(body);
        // Whatever is not a `name: number` entry (a computed value, a comment, a string) would escape the check.
        Assert.Equal("", EntryPattern().Replace(body, "").Replace(",", "").Trim());
        return entries.ToDictionary(entry => entry.Groups["name"].Value, entry => int.Parse(entry.Groups["code"].Value));
    }

    /// <summary>The folder holding OrleansSync.sln, found upward from the test assembly.</summary>
    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "OrleansSync.sln")))
            {
                return folder.FullName;
            }
        }
        throw new InvalidOperationException($"No OrleansSync.sln above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"const\s+RELIABLE_CLOSE\s*=\s*Object\.freeze\(\s*\{(?<body>[^}]*)\}\s*\)")]
    private static partial Regex TablePattern();

    [GeneratedRegex(@"(?<name>[A-Za-z_$][\w$]*)\s*:\s*(?<code>\d+)")]
    private static partial Regex EntryPattern();
}
