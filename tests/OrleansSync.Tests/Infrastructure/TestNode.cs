using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using OrleansSync.Silo;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>
/// A real node (Kestrel on a free loopback port, real SQLite file) built exactly as <c>silo/</c> builds it,
/// with test keys and whatever configuration the test overrides. Restartable on the same data file.
/// </summary>
public sealed class TestNode : IAsyncDisposable
{
    private readonly Dictionary<string, string?> _settings;
    private WebApplication? _app;

    private TestNode(Dictionary<string, string?> settings) => _settings = settings;

    public Uri BaseAddress { get; private set; } = null!;
    public Uri WebSocketAddress => new($"ws://{BaseAddress.Authority}/ws");
    public string DataFile { get; private set; } = "";
    public WebApplication App => _app ?? throw new InvalidOperationException("not started");
    public HttpClient Http { get; private set; } = null!;

    public static async Task<TestNode> StartAsync(params (string Key, string Value)[] overrides)
    {
        var folder = Path.Combine(Path.GetTempPath(), "orleanssync-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var settings = new Dictionary<string, string?>
        {
            ["Auth:SigningKey"] = TestTokens.SigningKey,
            ["Api:Key"] = TestTokens.ApiKey,
            ["Store:ConnectionString"] = $"Data Source={Path.Combine(folder, "test.db")}",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }
        var node = new TestNode(settings) { DataFile = Path.Combine(folder, "test.db") };
        await node.StartAppAsync();
        return node;
    }

    /// <summary>Stops the process-level host (all in-memory state is lost) and starts a new one on the same file.</summary>
    public async Task RestartAsync()
    {
        await StopAppAsync();
        await StartAppAsync();
    }

    public T Service<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public async Task<HttpResponseMessage> PublishAsync(string userId, object evt, string? apiKey = TestTokens.ApiKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/users/{Uri.EscapeDataString(userId)}/events")
        {
            Content = JsonContent.Create(evt),
        };
        if (apiKey is not null)
        {
            request.Headers.Add("X-Api-Key", apiKey);
        }
        return await Http.SendAsync(request);
    }

    /// <summary>Publishes and returns the assigned event id (asserting 202).</summary>
    public async Task<(string EventId, int Sessions)> PublishOkAsync(string userId, object evt)
    {
        using var response = await PublishAsync(userId, evt);
        var body = await response.Content.ReadAsStringAsync();
        Xunit.Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, $"publish answered {(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        return (json.RootElement.GetProperty("event_id").GetString()!, json.RootElement.GetProperty("sessions").GetInt32());
    }

    public async Task<WsClient> ConnectAsync() => await WsClient.ConnectAsync(WebSocketAddress);

    public async ValueTask DisposeAsync()
    {
        await StopAppAsync();
        Http?.Dispose();
    }

    private async Task StartAppAsync()
    {
        var args = new List<string> { "--urls=http://127.0.0.1:0", "--environment=Testing" };
        args.AddRange(_settings.Select(s => $"--{s.Key}={s.Value}"));
        _app = await SiloApp.BuildAsync(args.ToArray());
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
        Http?.Dispose();
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    private async Task StopAppAsync()
    {
        if (_app is null)
        {
            return;
        }
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
    }
}
