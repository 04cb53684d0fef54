using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OrleansSync.Bench;

/// <summary>A server under test running as its own process (<c>dotnet server.dll</c>, <c>node server.js</c>) on a free loopback port.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ServerProcess(Process process, StreamWriter log, Uri baseAddress)
    {
        _process = process;
        _log = log;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>Operating-system id of the server process (CPU and memory readings).</summary>
    public int ProcessId => _process.Id;

    public static async Task<ServerProcess> StartAsync(string program, string entryPath, IEnumerable<string> arguments, IDictionary<string, string> environment, string logPath)
    {
        var port = FreePort();
        var baseAddress = new Uri($"http://127.0.0.1:{port}/");
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = Path.GetDirectoryName(entryPath)!, // content root: the server's appsettings.json
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(entryPath);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program} {entryPath}");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process, log, baseAddress);
        await server.WaitReadyAsync().ConfigureAwait(false);
        return server;
    }

    /// <summary>Resident set size of the server process (VmRSS), in bytes.</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim()) * 1024;
            }
        }
        throw new InvalidOperationException("no VmRSS");
    }

    /// <summary><c>kill -9</c>: SIGKILL (what <see cref="Process.Kill(bool)"/> sends on Linux), no shutdown and no goodbye to the cluster.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().ConfigureAwait(false);
    }

    private async Task WaitReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"server exited with {_process.ExitCode}; see its log");
            }
            try
            {
                using var response = await http.GetAsync(new Uri(BaseAddress, "ws")).ConfigureAwait(false);
                return; // any answer (426) means Kestrel and the routes are up
            }
            catch (HttpRequestException)
            {
                await Task.Delay(200).ConfigureAwait(false);
            }
            catch (TaskCanceledException)
            {
                await Task.Delay(200).ConfigureAwait(false);
            }
        }
        throw new TimeoutException("server did not answer within 60 s");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync().ConfigureAwait(false);
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }
}
