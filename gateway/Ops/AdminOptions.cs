namespace OrleansSync.Gateway.Ops;

/// <summary>Operator access (configuration section <c>Admin</c>).</summary>
public sealed class AdminOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Admin";

    /// <summary>
    /// Key of the dashboard (header <c>X-Admin-Key</c>, or typed once into the dashboard's login page).
    /// Outside Development the dashboard is disabled while it is unset; in Development the dashboard is open.
    /// </summary>
    public string? Key { get; set; }

    /// <summary>
    /// How long a sign-in through the login page lasts (absolute, from the sign-in; at least 1 s). The cookie
    /// carries its expiry under a keyed hash: past it, the node refuses it and the browser has dropped it.
    /// </summary>
    public TimeSpan SignInLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Key attempts (every login form sent, every wrong <c>X-Admin-Key</c>) per client address per <see cref="SignInWindow"/>; beyond them 429.</summary>
    public int SignInAttempts { get; set; } = 5;

    /// <summary>The window of <see cref="SignInAttempts"/> (a fixed window, renewed whole).</summary>
    public TimeSpan SignInWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Throws with a message naming the setting if a value cannot work.</summary>
    public void Validate()
    {
        if (SignInLifetime < TimeSpan.FromSeconds(1)) throw new InvalidOperationException("Admin:SignInLifetime must be at least 1 second.");
        if (SignInAttempts < 1) throw new InvalidOperationException("Admin:SignInAttempts must be at least 1.");
        if (SignInWindow <= TimeSpan.Zero) throw new InvalidOperationException("Admin:SignInWindow must be positive.");
    }
}
