namespace OrleansSync.Delivery;

/// <summary>
/// Tells every node of the cluster (this one included) to drop its copies of users' session lists
/// (<see cref="UserSessionCache"/>): called after a change a later publish must see has committed, and before
/// anyone is told it happened.
/// </summary>
public interface ISessionListInvalidation
{
    /// <summary>
    /// Completes once no node uses a copy of these users' lists (null: of any user) that it read before this call
    /// began: every node said it dropped them, or the copies' lifetime has run out since the call began. Never fails.
    /// </summary>
    Task ForgetEverywhereAsync(IReadOnlyList<string>? userIds);
}
