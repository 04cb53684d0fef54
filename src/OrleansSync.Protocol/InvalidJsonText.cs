namespace OrleansSync.Protocol;

/// <summary>
/// JSON whose syntax is valid but which holds a string no UTF-16 text can be: an escaped lone surrogate such as
/// <c>"\ud800"</c>. System.Text.Json accepts it while parsing and throws <see cref="InvalidOperationException"/> (or
/// <see cref="ArgumentException"/> when writing it out) only when the string is decoded, so every place that decodes a
/// client's strings maps those to bad input with this message.
/// </summary>
public static class InvalidJsonText
{
    /// <summary>What the client is told.</summary>
    public const string Message = "a string holds a lone surrogate escape (such as \\ud800), which is not valid UTF-16 text";
}
