namespace OrleansSync.Gateway.Hosting;

/// <summary>The Orleans silo of this process (configuration section <c>Orleans</c>).</summary>
public sealed class SiloOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Orleans";

    /// <summary>
    /// Port for silo-to-silo traffic, on loopback. Default 0: a free port is picked at start, so several nodes
    /// started on one machine with nothing but different <c>--urls</c> never collide.
    /// </summary>
    public int SiloPort { get; set; }

    /// <summary>
    /// Port for Orleans clients (a separate gateway process). Default 0: no client gateway, since the gateway role
    /// runs in this process and needs none.
    /// </summary>
    public int GatewayPort { get; set; }

    /// <summary>
    /// Serves Orleans' own dashboard at <c>/dashboard/orleans/</c> wherever the delivery dashboard is served (Development,
    /// or <c>Admin:Key</c> set), behind the same key. Default true. Its grain-call profiler runs only while someone
    /// watches it (and a minute after); off, the silo registers nothing of it.
    /// </summary>
    public bool Dashboard { get; set; } = true;
}
