namespace OrleansSync.Delivery;

/// <summary>
/// The names of the grain storage providers every silo registers, on either store: the default one
/// (<c>[PersistentState(stateName)]</c>) and these. Orleans' ADO.NET provider keys a row by state name and grain key, not
/// by grain type: state names must differ between grain types that share a key space.
/// </summary>
public static class GrainStorageNames
{
    /// <summary>Session state (<c>[PersistentState("…", GrainStorageNames.Sessions)]</c>).</summary>
    public const string Sessions = "sessions";
}
