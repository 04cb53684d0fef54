namespace OrleansSync.Tests.Infrastructure;

/// <summary>
/// Fresh working folders for tests (SQLite files, node processes), under one root in the temp directory, removed
/// by their owner when done: a test run leaves nothing behind (before, each run left ~170 MB of SQLite files).
/// </summary>
internal static class TestFolder
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "orleanssync-tests");

    /// <summary>Creates a new empty folder.</summary>
    public static string Create()
    {
        var folder = Path.Combine(Root, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>Removes the folder and what is in it; best effort (a file still open elsewhere only costs disk).</summary>
    public static void Delete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Left for the next clean of the temp directory.
        }
    }
}
