using OrleansSync.Bench.Baseline;
using OrleansSync.Bench.Shared;

// Same configuration keys as the node (Auth:SigningKey, Api:Key, --urls) so the bench starts both alike.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
if (ServerKeys.From(builder.Configuration) is not { } keys)
{
    return 1;
}
builder.Services.AddSingleton(new BaselineTokenValidator(keys.SigningKey));
builder.Services.AddSingleton<UserSockets>();

var app = builder.Build();
app.UseWebSockets();
app.MapBaselineWebSocket();
app.MapBaselinePublish(keys.ApiKey);
await app.RunAsync();
return 0;
