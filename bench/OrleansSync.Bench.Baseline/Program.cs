using OrleansSync.Bench.Baseline;

// Same configuration keys as the node (Auth:SigningKey, Api:Key, --urls) so the bench starts both alike.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var signingKey = builder.Configuration["Auth:SigningKey"];
var apiKey = builder.Configuration["Api:Key"];
if (string.IsNullOrEmpty(signingKey) || string.IsNullOrEmpty(apiKey))
{
    Console.Error.WriteLine("Refusing to start without Auth:SigningKey and Api:Key.");
    return 1;
}
builder.Services.AddSingleton(new BaselineTokenValidator(signingKey));
builder.Services.AddSingleton<UserSockets>();

var app = builder.Build();
app.UseWebSockets();
app.MapBaselineWebSocket();
app.MapBaselinePublish(apiKey);
await app.RunAsync();
return 0;
