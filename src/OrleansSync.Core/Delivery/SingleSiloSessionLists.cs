namespace OrleansSync.Delivery;

/// <summary>
/// The session list invalidation of a node whose silo is alone in its cluster (a SQLite node): every user grain is in
/// this silo, so only the users whose grain is active here (<see cref="ActiveUsers"/>) can keep a list, and only they
/// are asked to drop it. A user without an active grain gets none activated just to drop nothing: no call, no
/// activation and no memory per claim for the many users that only connect.
/// </summary>
/// <remarks>
/// Sound because a user grain registers in <see cref="ActiveUsers"/> when it activates, before any read of its list, and
/// the change being announced has committed before this looks: a grain not registered yet reads the list after the
/// change; a registered one is asked, as everywhere; one that left took its list with it.
/// </remarks>
public sealed class SingleSiloSessionLists(ActiveUsers active, UserGrainSessionLists grains) : ISessionListInvalidation
{
    /// <inheritdoc />
    public Task ForgetEverywhereAsync(IReadOnlyList<string>? userIds)
    {
        if (userIds is null)
        {
            return grains.ForgetEverywhereAsync(null); // the users are not known: wait out the lifetime
        }
        List<string>? here = null;
        foreach (var userId in userIds)
        {
            if (active.TryGetGrain(userId, out _))
            {
                (here ??= []).Add(userId);
            }
        }
        return here is null ? Task.CompletedTask : grains.ForgetEverywhereAsync(here);
    }
}
