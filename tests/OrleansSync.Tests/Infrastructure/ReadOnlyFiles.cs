namespace OrleansSync.Tests.Infrastructure;

/// <summary>
/// Makes files unwritable for everyone, root included, and through descriptors already open: ext4's immutable flag
/// (<c>chattr +i</c>), what a SQLite file looks like once its disk went read-only. A mode bit (chmod) would not do: root
/// ignores it and open descriptors keep writing. Disposing clears the flag. Needs root (CAP_LINUX_IMMUTABLE), as the
/// test machine runs the suite.
/// </summary>
public sealed class ReadOnlyFiles : IDisposable
{
    private readonly string[] _paths;

    private ReadOnlyFiles(string[] paths) => _paths = paths;

    /// <summary>
    /// The SQLite database at <paramref name="databasePath"/> and its WAL. Not its shared-memory file: SQLite writes it
    /// through a memory mapping, and a store into a mapped page of an immutable file kills the process (SIGBUS).
    /// </summary>
    /// <remarks>
    /// SQLite deletes the WAL when its last connection closes (the store's pool may have just closed them all): a WAL
    /// created after the flag was set would take writes. An empty file is a valid empty WAL, so one is made first.
    /// </remarks>
    public static ReadOnlyFiles SqliteDatabase(string databasePath)
    {
        var wal = databasePath + "-wal";
        if (!File.Exists(wal))
        {
            File.WriteAllBytes(wal, []);
        }
        return Make(databasePath, wal);
    }

    public static ReadOnlyFiles Make(params string[] paths)
    {
        Chattr("+i", paths);
        return new ReadOnlyFiles(paths);
    }

    public void Dispose() => Chattr("-i", _paths);

    private static void Chattr(string flag, string[] paths) =>
        SystemTool.Run("chattr", "root on a file system with the immutable flag (ext4)", [flag, .. paths]);
}
