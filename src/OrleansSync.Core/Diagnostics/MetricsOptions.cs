namespace OrleansSync.Diagnostics;

/// <summary>Metrics switch (configuration section <c>Metrics</c>).</summary>
public sealed class MetricsOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Metrics";

    /// <summary>
    /// Records metrics and serves <c>/metrics</c>. Default true. When false no instrument and no meter provider are
    /// created and the hot paths skip every measurement (to measure the cost of metrics); the dashboard then shows
    /// gauges only. Read once, from configuration, when the node's services are registered.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Also exports Orleans' own meter (<c>Microsoft.Orleans</c>: messaging, grain calls, activations) on
    /// <c>/metrics</c>. Default false: Orleans records per message once anyone listens, which cost about a quarter of
    /// the node's CPU per delivery in the single-node benchmark (2026-12-06, bench/README). Read once, like <see cref="Enabled"/>.
    /// </summary>
    public bool Orleans { get; set; }
}
