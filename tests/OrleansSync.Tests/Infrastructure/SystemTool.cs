using System.Diagnostics;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>Runs a system tool (mount, chattr) to the end; a failure throws with its error output and what the test needs.</summary>
internal static class SystemTool
{
    public static void Run(string tool, string needs, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} failed ({error.Result.Trim()}): this test needs {needs}");
        }
    }
}
