namespace OrleansSync.Cluster;

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

    /// <summary>
    /// Base URL other nodes of a cluster use to hand this node copies of events for its sessions directly
    /// (e.g. <c>http://10.0.0.5:5080</c>). Default: the first address this node listens on, unless that is a
    /// wildcard (<c>0.0.0.0</c>, <c>[::]</c>, <c>*</c>, <c>+</c>): then set it, or other nodes use the inbox.
    /// </summary>
    public string? Address { get; set; }
}
