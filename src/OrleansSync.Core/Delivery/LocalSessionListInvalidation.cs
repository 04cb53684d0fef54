namespace OrleansSync.Delivery;

/// <summary>A single node (SQLite): its own copies are the only ones.</summary>
public sealed class LocalSessionListInvalidation(UserSessionCache cache) : ISessionListInvalidation
{
    /// <inheritdoc />
    public Task ForgetEverywhereAsync(IReadOnlyList<string>? userIds)
    {
        cache.Forget(userIds);
        return Task.CompletedTask;
    }
}
