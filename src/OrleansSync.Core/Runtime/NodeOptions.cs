namespace OrleansSync.Runtime;

/// <summary>Identity of this node (configuration section <c>Node</c>).</summary>
public sealed class NodeOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Node";

    /// <summary>
    /// Stable id of this node, used as the <c>node</c> tag of metrics and on the dashboard (and by a cluster to
    /// tell nodes apart). Default: machine name and listening port (e.g. <c>web1-5080</c>), or machine name and a
    /// generated suffix when the port is not fixed.
    /// </summary>
    public string? Id { get; set; }
}
