namespace OrleansSync.Runtime;

/// <summary>Options of the in-process grain runtime (configuration section <c>Grains</c>).</summary>
public sealed class GrainOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Grains";

    /// <summary>An activation unused this long (and holding no socket) is removed from memory. Default 2 minutes.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often idle activations are looked for. Default 30 seconds.</summary>
    public TimeSpan IdleCheckInterval { get; set; } = TimeSpan.FromSeconds(30);
}
