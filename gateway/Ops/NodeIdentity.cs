using Microsoft.AspNetCore.Http;

namespace OrleansSync.Gateway.Ops;

/// <summary>Default node id when <c>Node:Id</c> is not configured.</summary>
public static class NodeIdentity
{
    /// <summary>
    /// Machine name and the port of the first listening URL (<c>web1-5080</c>); with no fixed port (port 0, or
    /// unparsable URLs) the machine name and a random suffix, so two nodes on one machine never share an id.
    /// </summary>
    public static string Default(string? urls)
    {
        var machine = Environment.MachineName.ToLowerInvariant();
        var first = urls?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (first is not null)
        {
            try
            {
                var port = BindingAddress.Parse(first).Port;
                if (port > 0)
                {
                    return $"{machine}-{port}";
                }
            }
            catch (FormatException)
            {
                // Fall through to a generated suffix.
            }
        }
        return $"{machine}-{Guid.NewGuid().ToString("N")[..6]}";
    }

    /// <summary>
    /// The first listening URL's scheme, host and port, as peers would call it; null when that is not one reachable
    /// address (a wildcard host, port 0, or nothing parsable), so <c>Node:Address</c> must say it.
    /// </summary>
    public static string? DefaultAddress(string? urls)
    {
        var first = urls?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (first is null)
        {
            return null;
        }
        try
        {
            var binding = BindingAddress.Parse(first);
            return binding.Port > 0 && binding.Host is not ("0.0.0.0" or "[::]" or "*" or "+" or "")
                ? $"{binding.Scheme}://{binding.Host}:{binding.Port}"
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
