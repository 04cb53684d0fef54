namespace OrleansSync.Tests.Infrastructure;

/// <summary>
/// A file system of a few megabytes of its own (a tmpfs mounted on a fresh test folder) that a test can fill up for
/// real (writes fail with ENOSPC, SQLite answers SQLITE_FULL) and then give more room by remounting it larger.
/// Disposing unmounts it. Needs root (mount), as the test machine runs the suite.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    private SmallDisk(string folder) => Folder = folder;

    /// <summary>Where it is mounted.</summary>
    public string Folder { get; }

    public static SmallDisk Mount(int megabytes)
    {
        var folder = TestFolder.Create();
        Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", folder);
        return new SmallDisk(folder);
    }

    /// <summary>Gives the disk <paramref name="megabytes"/> in all (what a full disk gets when someone frees space).</summary>
    public void Resize(int megabytes) => Run("mount", "-o", $"remount,size={megabytes}m", Folder);

    public void Dispose()
    {
        Run("umount", "-l", Folder);
        TestFolder.Delete(Folder);
    }

    private static void Run(params string[] command) => SystemTool.Run(command[0], "root (it mounts a tmpfs)", command[1..]);
}
