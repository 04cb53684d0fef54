namespace OrleansSync.Gateway.Auth;

/// <summary>Who a valid token speaks for.</summary>
/// <param name="UserId">The <c>sub</c> claim.</param>
/// <param name="ChurchId">The optional <c>churchId</c> claim ("" if absent).</param>
/// <param name="PersonId">The <c>personId</c> claim, or <c>sub</c>.</param>
/// <param name="DisplayName">The <c>name</c> claim, or <c>sub</c>.</param>
public sealed record TokenUser(string UserId, string ChurchId, string PersonId, string DisplayName);
