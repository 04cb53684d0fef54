using Microsoft.IdentityModel.Tokens;

namespace OrleansSync.Gateway.Auth;

/// <summary>
/// A token that passed every check of <see cref="TokenRules"/> but names no user (no string <c>sub</c>).
/// The validation parameters cannot require a claim, so both doors refuse such a token after validation with this.
/// </summary>
public sealed class SecurityTokenNoSubjectException() : SecurityTokenValidationException("token has no sub claim");
