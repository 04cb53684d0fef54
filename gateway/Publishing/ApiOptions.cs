namespace OrleansSync.Gateway.Publishing;

/// <summary>Application API (configuration section <c>Api</c>).</summary>
public sealed class ApiOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Api";

    /// <summary>Value the <c>X-Api-Key</c> header must carry to publish. Required outside Development.</summary>
    public string? Key { get; set; }
}
