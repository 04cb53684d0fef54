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
    /// This node's base URL as the node table shows it (e.g. <c>http://10.0.0.5:5080</c>); nodes no longer call each
    /// other over HTTP (events cross nodes as Orleans grain calls). Default: the first address this node listens on,
    /// unless that is a wildcard (<c>0.0.0.0</c>, <c>[::]</c>, <c>*</c>, <c>+</c>).
    /// </summary>
    public string? Address { get; set; }
}
