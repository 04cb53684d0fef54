using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace OrleansSync.Gateway.Publishing;

/// <summary>Endpoint filter: 401 unless <c>X-Api-Key</c> equals <c>Api:Key</c> (compared in constant time).</summary>
public sealed class ApiKeyFilter : IEndpointFilter
{
    /// <summary>The header that carries the key.</summary>
    public const string HeaderName = "X-Api-Key";

    /// <inheritdoc />
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var expected = context.HttpContext.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.Key;
        var given = context.HttpContext.Request.Headers[HeaderName].ToString();
        if (string.IsNullOrEmpty(expected) || !Matches(given, expected))
        {
            return ValueTask.FromResult<object?>(Results.Json(new ErrorBody("unauthorized", $"missing or wrong {HeaderName}"),
                GatewayJsonContext.Default.ErrorBody, statusCode: StatusCodes.Status401Unauthorized));
        }
        return next(context);
    }

    private static bool Matches(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
