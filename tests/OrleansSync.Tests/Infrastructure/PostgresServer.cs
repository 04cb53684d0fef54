using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>
/// A private PostgreSQL 15 server for this test run: started on first use on 127.0.0.1 and a free port, data
/// under /tmp, one fresh database per test node, stopped by a watchdog when the test process exits. Commands
/// run as the <c>postgres</c> user through <c>runuser</c> when the tests run as root (initdb refuses root),
/// directly otherwise. A server whose watchdog did not get to stop it is stopped at the next start.
/// </summary>
public sealed class PostgresServer
{
    public const string BinFolder = "/usr/lib/postgresql/15/bin";
    private const string FolderPrefix = "orleanssync-pg-";
    private const string TempRoot = "/tmp"; // not $TMPDIR: the postgres user must reach it
    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly NpgsqlDataSource _admin;

    private PostgresServer(int port)
    {
        Port = port;
        _admin = NpgsqlDataSource.Create(ConnectionString("postgres"));
    }

    public int Port { get; }

    /// <summary>The server of this test run, started on first call.</summary>
    public static Task<PostgresServer> GetAsync() => Shared.Value;

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Maximum Pool Size=20";

    /// <summary>Creates an empty database with a unique name and returns its name.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "orleanssync_" + Guid.NewGuid().ToString("N");
        // FILE_COPY copies the template's files instead of writing them all to the WAL: quicker, and less disk.
        await using var command = _admin.CreateCommand($"CREATE DATABASE {name} STRATEGY = FILE_COPY");
        await command.ExecuteNonQueryAsync();
        return name;
    }

    /// <summary>
    /// Makes new sessions of <paramref name="database"/> read-only (<c>default_transaction_read_only</c>), or writable
    /// again; with <paramref name="closeSessions"/> its open sessions are ended too, so every connection is a new one.
    /// </summary>
    public async Task SetReadOnlyAsync(string database, bool readOnly, bool closeSessions)
    {
        await using (var alter = _admin.CreateCommand($"ALTER DATABASE {database} SET default_transaction_read_only = {(readOnly ? "on" : "off")}"))
        {
            await alter.ExecuteNonQueryAsync();
        }
        if (closeSessions)
        {
            await using var terminate = _admin.CreateCommand("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1");
            terminate.Parameters.Add(new NpgsqlParameter { Value = database });
            await terminate.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Drops a test node's database (closing its leftover connections) so the run's disk use stays small.</summary>
    public async Task DropDatabaseAsync(string name)
    {
        await using var command = _admin.CreateCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<PostgresServer> StartAsync()
    {
        foreach (var tool in new[] { "initdb", "pg_ctl" })
        {
            if (!File.Exists(Path.Combine(BinFolder, tool)))
            {
                throw new InvalidOperationException(
                    $"PostgreSQL 15 is not installed ({Path.Combine(BinFolder, tool)} is missing). Install it with `bash scripts/install-test-deps.sh` " +
                    "(or `apt-get install -y postgresql`); the PostgreSQL variants of the behaviour suite need it.");
            }
        }
        if (RunsAsRoot && !File.Exists("/usr/sbin/runuser") && !File.Exists("/usr/bin/runuser") && !File.Exists("/sbin/runuser"))
        {
            throw new InvalidOperationException("The tests run as root, and PostgreSQL cannot: `runuser` (util-linux) is needed to run it as the postgres user.");
        }
        await StopAbandonedServersAsync();

        var folder = Path.Combine(TempRoot, $"{FolderPrefix}{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..12]}");
        var data = Path.Combine(folder, "data");
        await RunAsync("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync");
        // Another process on this shared machine may take the free port between the probe and the bind: retry.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var options = $"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c max_connections=300 " +
                          "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"; // test data: speed over crash safety
            var (exitCode, output) = await TryRunAsync("pg_ctl", "-D", data, "-l", Path.Combine(folder, "server.log"), "-o", options, "-w", "-t", "60", "start");
            if (exitCode == 0)
            {
                StartWatchdog(folder);
                return new PostgresServer(port);
            }
            if (attempt == 3)
            {
                var log = File.Exists(Path.Combine(folder, "server.log")) ? File.ReadAllText(Path.Combine(folder, "server.log")) : "";
                throw new InvalidOperationException($"PostgreSQL did not start: {output}\n{log}");
            }
        }
    }

    /// <summary>
    /// Stops the server and removes its folder once this test process is gone, however it ends: the test runner
    /// kills its host moments after the run, too soon for an exit handler to stop a server. The watchdog is a
    /// shell of the postgres user with pipes of its own (not the runner's), polling for this process.
    /// </summary>
    private static void StartWatchdog(string folder)
    {
        const string script = """
            while [ -d "/proc/$1" ]; do sleep 1; done
            "$2/pg_ctl" -D "$3/data" -m immediate -w stop >/dev/null 2>&1
            rm -rf "$3"
            """;
        var start = StartInfo("/bin/sh", "-c", script, "sh", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), BinFolder, folder);
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var watchdog = Process.Start(start) ?? throw new InvalidOperationException("could not start the PostgreSQL watchdog");
    }

    /// <summary>A test process that was killed leaves its server running: stop those whose process is gone.</summary>
    private static async Task StopAbandonedServersAsync()
    {
        foreach (var folder in Directory.EnumerateDirectories(TempRoot, FolderPrefix + "*"))
        {
            var pidText = Path.GetFileName(folder)[FolderPrefix.Length..].Split('-')[0];
            if (!int.TryParse(pidText, out var pid) || pid == Environment.ProcessId || IsAlive(pid))
            {
                continue;
            }
            if (File.Exists(Path.Combine(folder, "data", "postmaster.pid")))
            {
                await TryRunAsync("pg_ctl", "-D", Path.Combine(folder, "data"), "-m", "immediate", "-w", "stop");
            }
            TryDelete(folder);
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool RunsAsRoot => Environment.UserName == "root";

    private static async Task RunAsync(string tool, params string[] arguments)
    {
        var (exitCode, output) = await TryRunAsync(tool, arguments);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{tool} failed ({exitCode}): {output}");
        }
    }

    private static async Task<(int ExitCode, string Output)> TryRunAsync(string tool, params string[] arguments)
    {
        var start = StartInfo(Path.Combine(BinFolder, tool), arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {tool}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stdout) + (await stderr));
    }

    /// <summary>A command run as the postgres user: through runuser when the tests run as root, directly otherwise.</summary>
    private static ProcessStartInfo StartInfo(string executable, params string[] arguments)
    {
        var start = new ProcessStartInfo
        {
            UseShellExecute = false,
            WorkingDirectory = TempRoot, // the postgres user must be able to enter the working directory
        };
        IEnumerable<string> all = arguments;
        if (RunsAsRoot)
        {
            start.FileName = "runuser";
            all = new[] { "-u", "postgres", "--", executable }.Concat(arguments);
        }
        else
        {
            start.FileName = executable;
        }
        foreach (var argument in all)
        {
            start.ArgumentList.Add(argument);
        }
        return start;
    }
}
