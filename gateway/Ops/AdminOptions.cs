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
}
