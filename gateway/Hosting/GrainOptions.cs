namespace OrleansSync.Gateway.Hosting;

/// <summary>
/// How long idle grains stay in memory (configuration section <c>Grains</c>), applied to Orleans' activation
/// collection (<c>GrainCollectionOptions</c>). A session grain with an attached socket is never collected.
/// </summary>
public sealed class GrainOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Grains";

    /// <summary>An activation unused this long is removed from memory (Orleans' collection age). Default 2 minutes.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often idle activations are looked for (Orleans' collection quantum). Default 30 seconds.</summary>
    public TimeSpan IdleCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The shortest period a reminder may have (Orleans' <c>ReminderOptions.MinimumReminderPeriod</c>), and the period of
    /// the sweeper's keep-alive reminder: the longest the sweeper stays gone after its activation is lost. Default 1 minute
    /// (Orleans warns below that; tests shorten it).
    /// </summary>
    public TimeSpan MinimumReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);
}
