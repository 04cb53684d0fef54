using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OrleansSync.Gateway.Publishing;

namespace OrleansSync.Gateway.Auth;

/// <summary>
/// <c>Authorization: Bearer</c> on the REST routes through ASP.NET's JwtBearer handler, validating with
/// <see cref="TokenRules"/> (the socket's rules). Routes that need a token carry <c>RequireAuthorization()</c>;
/// their 401 is the documented error body, written by the challenge.
/// </summary>
public static class BearerAuthentication
{
    /// <summary>Registers the JwtBearer scheme (the default scheme) and authorization.</summary>
    public static IServiceCollection AddBearerAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddAuthorization();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<TokenRules>((options, rules) =>
        {
            // No authority, no metadata: the key is the configured one and the rules are the socket's.
            options.MapInboundClaims = false;
            options.TokenHandlers.Clear();
            options.TokenHandlers.Add(rules.Handler);
            options.TokenValidationParameters = rules.Parameters;
            options.Events = new JwtBearerEvents
            {
                OnTokenValidated = context =>
                {
                    if (TokenUser.From(context.Principal!) is null)
                    {
                        context.Fail(new SecurityTokenNoSubjectException());
                    }
                    return Task.CompletedTask;
                },
                OnChallenge = async context =>
                {
                    // The handler's own answer is an empty 401; clients of this API read {"error","message"}.
                    context.HandleResponse();
                    var error = BearerCheck.Of(context.HttpContext, null, context.AuthenticateFailure).Error;
                    context.Response.Headers.WWWAuthenticate = JwtBearerDefaults.AuthenticationScheme;
                    await PublishEndpoints.Error(StatusCodes.Status401Unauthorized, error.Error, error.Message).ExecuteAsync(context.HttpContext);
                },
            };
        });
        return services;
    }
}
