using Microsoft.IdentityModel.Tokens;

namespace OrleansSync.Gateway.Auth;

/// <summary>
/// Why a token was refused, in the short words shown to the client: the socket's close reason
/// (<c>auth_failed: …</c>) and the message of the REST routes' <c>bad_token</c> 401 say the same thing.
/// </summary>
public static class TokenFailure
{
    /// <summary>No token at all.</summary>
    public const string Missing = "token missing";

    /// <summary>The reason for a validation failure.</summary>
    public static string Describe(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => "token expired",
        SecurityTokenNoExpirationException => "token has no exp",
        SecurityTokenInvalidAlgorithmException => "token algorithm not allowed (HS256 only)",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "token signature invalid",
        SecurityTokenNotYetValidException => "token not valid yet",
        SecurityTokenInvalidIssuerException => "token issuer invalid",
        SecurityTokenInvalidAudienceException => "token audience invalid",
        SecurityTokenNoSubjectException => exception.Message,
        // The handler answers a token over TokenRules.MaxTokenLength with an ArgumentException too.
        SecurityTokenMalformedException or ArgumentException => "token malformed",
        _ => "token invalid",
    };
}
