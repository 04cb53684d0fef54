namespace OrleansSync.Gateway.Auth;

/// <summary>Token validation (configuration section <c>Auth</c>).</summary>
public sealed class AuthOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Auth";

    /// <summary>HS256 signing key, at least 32 bytes of UTF-8. Required outside Development.</summary>
    public string? SigningKey { get; set; }

    /// <summary>If set, tokens must carry this <c>iss</c>.</summary>
    public string? Issuer { get; set; }

    /// <summary>If set, tokens must carry this <c>aud</c>.</summary>
    public string? Audience { get; set; }

    /// <summary>Tolerated clock difference when checking <c>exp</c>/<c>nbf</c>. Default 30 s.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);
}
