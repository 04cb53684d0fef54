using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>
/// A node in a process of its own (the real silo executable), on a free loopback port, so a test can run a
/// cluster and kill a node with SIGKILL. Its output is kept for failure messages.
/// </summary>
public sealed class ProcessNode : INodeEndpoint, IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _workingDirectory;
    private readonly System.Text.StringBuilder _output = new();

    private ProcessNode(Process process, string nodeId, int port, string workingDirectory)
    {
        _process = process;
        _workingDirectory = workingDirectory;
        NodeId = nodeId;
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public string NodeId { get; }
    public Uri BaseAddress { get; }
    public Uri WebSocketAddress => new($"ws://{BaseAddress.Authority}/ws");
    public HttpClient Http { get; }
    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>Starts <c>OrleansSync.Silo</c> with test keys and <paramref name="settings"/>, and waits until <c>/readyz</c> answers 200.</summary>
    /// <remarks>
    /// A free port is found by binding port 0 and letting it go, so another process (a node starting at the same time,
    /// an outgoing connection) can take it before the node binds it: a start that failed for an address in use is tried
    /// again on other ports, twice at most.
    /// </remarks>
    public static async Task<ProcessNode> StartAsync(string nodeId, params (string Key, string Value)[] settings)
    {
        for (var attempt = 1; ; attempt++)
        {
            var node = Launch(nodeId, settings);
            try
            {
                await node.WaitReadyAsync();
                return node;
            }
            catch (InvalidOperationException) when (attempt < 3 && node.Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                await node.DisposeAsync();
            }
        }
    }

    private static ProcessNode Launch(string nodeId, (string Key, string Value)[] settings)
    {
        var port = FreePort();
        var silo = Path.Combine(AppContext.BaseDirectory, "OrleansSync.Silo.dll");
        var workingDirectory = TestFolder.Create();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(silo);
        foreach (var argument in new[]
        {
            $"--urls=http://127.0.0.1:{port}", "--environment=Testing", $"--Node:Id={nodeId}",
            $"--Auth:SigningKey={TestTokens.SigningKey}", $"--Api:Key={TestTokens.ApiKey}", "--Logging:LogLevel:Default=Warning",
        }.Concat(settings.Select(s => $"--{s.Key}={s.Value}")))
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the silo");
        var node = new ProcessNode(process, nodeId, port, workingDirectory);
        process.OutputDataReceived += (_, e) => node.Append(e.Data);
        process.ErrorDataReceived += (_, e) => node.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>kill -9: no shutdown, no flush, no goodbye.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        Http.Dispose();
        _process.Dispose();
        TestFolder.Delete(_workingDirectory);
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output) _output.AppendLine(line);
        }
    }

    private async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"node {NodeId} exited with {_process.ExitCode}:\n{Output}");
            }
            try
            {
                using var response = await Http.GetAsync("/readyz");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"node {NodeId} not ready in time:\n{Output}");
    }

    /// <summary>A loopback port nobody listens on now (the OS picks it).</summary>
    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
