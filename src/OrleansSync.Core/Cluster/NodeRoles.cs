namespace OrleansSync.Cluster;

/// <summary>
/// The roles this process plays (<c>Node:Roles</c>, default both): <c>Gateway</c> terminates WebSockets
/// (<c>/ws</c>); <c>Silo</c> serves the application APIs (<c>/api</c>, <c>/messaging</c>) and takes part in the
/// sweeper. Every node hosts a silo: on PostgreSQL all of them form one Orleans cluster, and a grain runs on any of
/// them (a session's grain usually where its socket is).
/// </summary>
public sealed class NodeRoles
{
    /// <summary>Parses a comma-separated list; throws a clear error for an unknown role or an empty list.</summary>
    public NodeRoles(string? roles)
    {
        var parts = (string.IsNullOrWhiteSpace(roles) ? "Gateway,Silo" : roles)
            .Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var part in parts)
        {
            if (part.Equals("Gateway", StringComparison.OrdinalIgnoreCase)) Gateway = true;
            else if (part.Equals("Silo", StringComparison.OrdinalIgnoreCase)) Silo = true;
            else throw new InvalidOperationException($"Node:Roles has an unknown role '{part}'; use Gateway, Silo or both.");
        }
        if (!Gateway && !Silo)
        {
            throw new InvalidOperationException("Node:Roles names no role; use Gateway, Silo or both.");
        }
    }

    /// <summary>Serves <c>/ws</c>.</summary>
    public bool Gateway { get; }

    /// <summary>Serves the application APIs and sweeps.</summary>
    public bool Silo { get; }

    /// <summary>"gateway,silo", "gateway" or "silo".</summary>
    public string Describe() => (Gateway, Silo) switch
    {
        (true, true) => "gateway,silo",
        (true, false) => "gateway",
        _ => "silo",
    };
}
