namespace OrleansSync.Delivery;

/// <summary>
/// Tells the user grains to drop the session lists they keep (<see cref="UserGrain"/>): called after a change a later
/// publish must see has committed (a session created or claimed, a copy fenced into an inbox), and before anyone is
/// told it happened.
/// </summary>
public interface ISessionListInvalidation
{
    /// <summary>
    /// Completes once no user grain uses a list of these users (null: of any user) that it read before this call
    /// began: each grain said it dropped its list, or a kept list's lifetime has run out since the call began. Never fails.
    /// </summary>
    Task ForgetEverywhereAsync(IReadOnlyList<string>? userIds);
}
