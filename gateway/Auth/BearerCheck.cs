using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using OrleansSync.Gateway.Publishing;

namespace OrleansSync.Gateway.Auth;

/// <summary>What the <c>Authorization</c> header of a request amounts to.</summary>
public enum BearerState
{
    /// <summary>No <c>Authorization</c> header: an anonymous caller.</summary>
    Absent,

    /// <summary>An <c>Authorization</c> header of another scheme (Basic, …).</summary>
    NotBearer,

    /// <summary>A Bearer token that <see cref="TokenRules"/> refuse.</summary>
    Invalid,

    /// <summary>A valid Bearer token.</summary>
    Valid,
}

/// <summary>
/// The outcome of the JwtBearer handler for one request, and the documented 401 body for each refusal
/// (<c>token_required</c>, <c>bad_authorization</c>, <c>bad_token</c>), in one place for the challenge of the
/// routes that require a token and for the routes where a token is optional.
/// </summary>
/// <param name="State">What the header amounts to.</param>
/// <param name="User">The token's user when <see cref="BearerState.Valid"/>.</param>
/// <param name="Reason">Why the token was refused when <see cref="BearerState.Invalid"/>.</param>
public sealed record BearerCheck(BearerState State, TokenUser? User, string? Reason)
{
    /// <summary>Authenticates the request with the JwtBearer scheme (the handler keeps its answer for the request).</summary>
    public static async Task<BearerCheck> ReadAsync(HttpContext http) =>
        Of(http, await http.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme));

    /// <summary>Interprets the handler's answer (<paramref name="result"/>; null when only its failure is known).</summary>
    public static BearerCheck Of(HttpContext http, AuthenticateResult? result, Exception? failure = null)
    {
        if (result is { Succeeded: true } && TokenUser.From(result.Principal) is { } user)
        {
            return new BearerCheck(BearerState.Valid, user, null);
        }
        failure ??= result?.Failure;
        if (failure is not null)
        {
            return new BearerCheck(BearerState.Invalid, null, TokenFailure.Describe(failure));
        }
        // The handler found no token to read: either no header, or a header of another scheme.
        return http.Request.Headers.Authorization.Count == 0
            ? new BearerCheck(BearerState.Absent, null, null)
            : new BearerCheck(BearerState.NotBearer, null, null);
    }

    /// <summary>The documented 401 body for a caller without a valid token.</summary>
    public ErrorBody Error => State switch
    {
        BearerState.NotBearer => new ErrorBody("bad_authorization", "Authorization must be 'Bearer <token>'"),
        BearerState.Invalid => new ErrorBody("bad_token", Reason!),
        _ => new ErrorBody("token_required", "this route needs Authorization: Bearer <token>"),
    };
}
