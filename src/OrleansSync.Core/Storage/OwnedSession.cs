namespace OrleansSync.Storage;

/// <summary>A session a node owns in the store, at the epoch of the claim that made it the owner.</summary>
public readonly record struct OwnedSession(string SessionId, long Epoch);
