namespace OrleansSync.Demos;

/// <summary>The demo applications (configuration section <c>Demos</c>).</summary>
public sealed class DemoOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Demos";

    /// <summary>
    /// Maps <c>/demo/photos</c>, <c>/demo/chat</c> and their APIs. Unset: on in Development, off elsewhere (a
    /// production node serves no sample application unless asked to).
    /// </summary>
    public bool? Enabled { get; set; }
}
