using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Metadata;

namespace OrleansSync.Gateway.Http;

/// <summary>
/// The largest request body a route reads, as endpoint metadata: ASP.NET's endpoint middleware hands it to Kestrel
/// (<c>IHttpMaxRequestBodySizeFeature</c>) before the route runs, and Kestrel enforces it on every read, whatever the
/// framing: a Content-Length above it is refused at the first read, a chunked body as soon as it passes it, so no route
/// ever holds more than its limit. The answer is 413 <c>too_large</c> (<see cref="ErrorAnswers"/>). A route without one
/// has Kestrel's own limit, which the node lowers to <see cref="DefaultBytes"/> (<c>Kestrel:Limits:MaxRequestBodySize</c>
/// overrides it).
/// </summary>
/// <param name="bytes">The limit in bytes.</param>
public sealed class RequestBodyLimit(long bytes) : IRequestSizeLimitMetadata
{
    /// <summary>The limit of routes that declare none (64 KiB; Kestrel's own default is 30 MB).</summary>
    public const long DefaultBytes = 64 * 1024;

    /// <inheritdoc />
    public long? MaxRequestBodySize => bytes;
}

/// <summary>Declares a route's <see cref="RequestBodyLimit"/>.</summary>
public static class RequestBodyLimitExtensions
{
    /// <summary>The route (or group) reads bodies of at most <paramref name="bytes"/> bytes.</summary>
    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, long bytes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequestBodyLimit(bytes));
}
