using Microsoft.AspNetCore.Authentication.JwtBearer;
using OrleansSync.Bench.SignalR;
using OrleansSync.Bench.Shared;

// Same configuration keys as the node (Auth:SigningKey, Api:Key, --urls) so the bench starts every server alike.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
if (ServerKeys.From(builder.Configuration) is not { } keys)
{
    return 1;
}

// The JWT checked with the node's library and rules, on negotiate (bearer header) and on the WebSocket request
// (access_token in the query, as browsers' SignalR clients send it).
builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
{
    options.MapInboundClaims = false;
    options.TokenValidationParameters = BenchTokenRules.For(keys.SigningKey);
    options.Events = new JwtBearerEvents
    {
        OnMessageReceived = context =>
        {
            if (context.HttpContext.Request.Path.StartsWithSegments("/hub") && context.Request.Query["access_token"] is { Count: > 0 } token)
            {
                context.Token = token;
            }
            return Task.CompletedTask;
        },
    };
});
builder.Services.AddAuthorization();
builder.Services.AddSignalR();

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
// Stateful reconnect: SignalR's own recovery (a reconnecting client gets the invocations it had not acknowledged).
app.MapHub<EventsHub>("/hub", options => options.AllowStatefulReconnects = true);
app.MapPublish(keys.ApiKey);
await app.RunAsync();
return 0;
