using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using OrleansSync.Gateway.Publishing;
using OrleansSync.Storage;

namespace OrleansSync.Gateway.Http;

/// <summary>
/// What a request that ends in an exception answers, in the shape of every HTTP error (<see cref="ErrorBody"/>) rather
/// than an empty 500:
/// <list type="bullet">
/// <item>503 <c>store_unavailable</c> with <c>Retry-After</c>: the store cannot write right now
/// (<see cref="StoreUnavailableException"/>); the same request may succeed later.</item>
/// <item>413 <c>too_large</c>: the body passed its route's <see cref="RequestBodyLimit"/> (Kestrel stopped reading it);
/// another refusal of Kestrel's while reading a body (a broken chunk, a body too slow) answers its own status with
/// <c>bad_request</c>.</item>
/// <item>500 <c>internal_error</c>: anything else, a bug; ASP.NET logs it as an unhandled exception.</item>
/// </list>
/// The first two are the store's or the caller's condition, not a fault of the node: they are not logged here (the
/// store's health logs its episode once), so a flood of them costs the log nothing.
/// </summary>
public static class ErrorAnswers
{
    /// <summary>The <c>Retry-After</c> of a 503, in seconds: about how long a store fault takes to be noticed gone.</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary>Adds the middleware; call before the endpoints run.</summary>
    public static IApplicationBuilder UseErrorAnswers(this IApplicationBuilder app) => app.UseExceptionHandler(new ExceptionHandlerOptions
    {
        ExceptionHandler = WriteAsync,
        SuppressDiagnosticsCallback = context => context.Exception is StoreUnavailableException or BadHttpRequestException,
    });

    private static Task WriteAsync(HttpContext context)
    {
        var (status, code, message) = context.Features.Get<IExceptionHandlerFeature>()?.Error switch
        {
            StoreUnavailableException unavailable => (StatusCodes.Status503ServiceUnavailable, "store_unavailable",
                unavailable.Message + "; retry later"),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                (StatusCodes.Status413PayloadTooLarge, "too_large", TooLargeMessage(context)),
            BadHttpRequestException refused => (refused.StatusCode, "bad_request", refused.Message),
            _ => (StatusCodes.Status500InternalServerError, "internal_error", "the request failed on the server"),
        };
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ErrorBody(code, message), GatewayJsonContext.Default.ErrorBody);
    }

    private static string TooLargeMessage(HttpContext context) =>
        context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } limit
            ? $"the body is larger than {limit} bytes"
            : "the body is too large";
}
