namespace OrleansSync.Bench;

/// <summary>User ids of the bench: u0, u1, … (the same on both servers).</summary>
public static class BenchUsers
{
    public static string Name(int index) => "u" + index;
}
