namespace OrleansSync.Gateway.Hosting;

/// <summary>Identity of this node (configuration section <c>Node</c>).</summary>
public sealed class NodeOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Node";

    /// <summary>
    /// Stable id of this node, stored on the room connection rows of its sockets; a node that restarts with the
    /// same id removes its stale rows. Default: the machine name.
    /// </summary>
    public string Id { get; set; } = Environment.MachineName;
}
