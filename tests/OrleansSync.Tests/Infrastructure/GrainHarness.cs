using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using OrleansSync.Cluster;
using OrleansSync.Conversations;
using OrleansSync.Delivery;
using OrleansSync.Diagnostics;
using OrleansSync.Storage;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>
/// The grains on a real Orleans silo (<see cref="InProcessTestCluster"/>) over an in-memory store, with time driven by
/// hand (<see cref="FakeTimeProvider"/>, which the silo's grain timers run on too): minutes of protocol time in
/// milliseconds. Sockets are a <see cref="RecordingGateway"/>.
/// </summary>
public sealed class GrainHarness : IAsyncDisposable
{
    public const string NodeId = "unit-node";

    private readonly InProcessTestCluster _cluster;

    private GrainHarness(InProcessTestCluster cluster, DeliveryOptions delivery, FakeTimeProvider time, InMemorySessionStore store,
        bool gatewayInProcess)
    {
        _cluster = cluster;
        Delivery = delivery;
        Time = time;
        Store = store;
        var services = cluster.GetSiloServiceProvider();
        Grains = services.GetRequiredService<IGrainFactory>();
        Sessions = services.GetRequiredService<SessionService>();
        Publisher = services.GetRequiredService<IEventPublisher>();
        Attached = services.GetRequiredService<AttachedSessions>();
        ActiveUsers = services.GetRequiredService<ActiveUsers>();
        var reference = Gateway.Register(Grains, services.GetRequiredService<IGrainContextAccessor>());
        if (gatewayInProcess)
        {
            services.GetRequiredService<LocalGateway>().Register(Gateway, reference);
        }
    }

    /// <param name="delivery">Delivery options (defaults otherwise).</param>
    /// <param name="sessionListLifetime">How long user grains keep session lists (none kept otherwise).</param>
    /// <param name="announcements">Sees every forget before it goes to the user grains, and can hold it (none otherwise).</param>
    /// <param name="gatewayInProcess">
    /// The recording gateway is this silo's own, as a node's gateway is (<see cref="LocalGateway"/>): grains call it
    /// directly and copies can go out on the router's thread (<see cref="SessionGrain.TryEnqueueNow"/>). Otherwise it is
    /// reached as an observer in another process would be, through Orleans.
    /// </param>
    /// <param name="parking">Idle sessions may park, as on a SQLite node (<see cref="AttachedSessions.ParkingPossible"/>); off otherwise.</param>
    public static async Task<GrainHarness> StartAsync(DeliveryOptions? delivery = null, TimeSpan? sessionListLifetime = null,
        GatedSessionListInvalidation? announcements = null, bool gatewayInProcess = false, bool parking = false)
    {
        delivery ??= new DeliveryOptions();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow) { AutoAdvanceAmount = TimeSpan.Zero };
        var store = new InMemorySessionStore();
        var cluster = Options.Create(new NodeClusterOptions { SessionListLifetime = sessionListLifetime ?? TimeSpan.Zero });
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Logging.SetMinimumLevel(LogLevel.Warning);
            var services = host.Services;
            // The grains' clock (their timers, and the time they read) is the test's; the silo's own loops keep real time.
            services.AddSingleton<TimeProvider>(time);
            services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
            services.AddSingleton<ISessionStore>(store);
            services.AddSingleton(cluster);
            services.AddSingleton<ISessionListInvalidation>(sp =>
            {
                var toGrains = new UserGrainSessionLists(sp.GetRequiredService<IGrainFactory>(), cluster, time);
                return announcements is null ? toGrains : announcements.Forwarding(toGrains);
            });
            services.AddSingleton<IOptionsMonitor<DeliveryOptions>>(new FixedOptionsMonitor<DeliveryOptions>(delivery));
            services.AddSingleton(Options.Create(new NodeOptions { Id = NodeId }));
            services.AddSingleton<IClusterSignals, NoClusterSignals>();
            services.AddSingleton(new SyncMetrics(NodeId, enabled: false, time));
            services.AddSingleton(new AttachedSessions { ParkingPossible = parking });
            services.AddSingleton<ActiveUsers>();
            services.AddSingleton<LocalGateway>();
            services.AddSingleton<SessionRouter>();
            services.AddSingleton<SessionService>();
            services.AddSingleton<IEventPublisher, EventPublisher>();
            services.AddSingleton(Unused.Of<IConversationStore>());
            services.AddSingleton<ISocketDirectory>(new NoSockets());
            services.AddSingleton(Unused.Of<IRoomOutbox>());
        });
        var testCluster = builder.Build();
        await testCluster.DeployAsync();
        return new GrainHarness(testCluster, delivery, time, store, gatewayInProcess);
    }

    public DeliveryOptions Delivery { get; }
    public FakeTimeProvider Time { get; }
    public InMemorySessionStore Store { get; }
    public IGrainFactory Grains { get; }
    public SessionService Sessions { get; }
    public IEventPublisher Publisher { get; }
    public AttachedSessions Attached { get; }
    public ActiveUsers ActiveUsers { get; }
    public RecordingGateway Gateway { get; } = new();

    /// <summary>
    /// Moves the grains' clock on by <paramref name="by"/>, once every attached session grain has finished the turn it is
    /// in (<see cref="SettleAsync"/>). A re-send tick changes its timer for the next re-send, and Orleans applies a change
    /// made during a tick when the tick ends, counting from then: a tab can see the tick's frame before that, and a clock
    /// moved in between would push the next re-send back by as much.
    /// </summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        await SettleAsync();
        Time.Advance(by);
    }

    /// <summary>
    /// Returns once every attached session grain has finished what was queued on it so far (a tick its timer fired,
    /// say): a call answered by each grain is the sign. Before a test asserts that something did not happen.
    /// </summary>
    public async Task SettleAsync()
    {
        foreach (var grain in Attached.Grains)
        {
            if (grain.Reference is { } session)
            {
                await session.HoldsSocketAsync("");
            }
        }
    }

    /// <summary>Opens a session for <paramref name="tab"/> (new, or resumed if <paramref name="sessionId"/> is this user's).</summary>
    public Task<string> OpenAsync(string userId, string? sessionId, RecordingTab tab) => Sessions.OpenAsync(userId, sessionId, tab.Link);

    /// <summary>The tab's socket closed.</summary>
    public Task DetachAsync(string sessionId, RecordingTab tab) => Sessions.DetachAsync(sessionId, tab.SocketId);

    public Task<PublishResult> PublishAsync(string userId, string json) =>
        Publisher.PublishToUserAsync(userId, JsonDocument.Parse(json).RootElement);

    /// <summary>Starts a publish and returns it once its turn has read the user's sessions from the store.</summary>
    public async Task<Task<PublishResult>> PublishUntilReadAsync(string userId, string json, string because)
    {
        var reads = Store.UserSessionReads;
        var publish = PublishAsync(userId, json);
        await Eventually.TrueAsync(() => Store.UserSessionReads > reads, because: because);
        return publish;
    }

    /// <summary>
    /// Resumes <paramref name="sessionId"/> on <paramref name="tab"/> with its claim held by
    /// <paramref name="announcements"/> (closed here; the caller opens it): returns the resume once the claim waits there,
    /// so the session's grain has a turn running.
    /// </summary>
    public async Task<Task<string>> ResumeHeldAtAnnouncementAsync(GatedSessionListInvalidation announcements, string userId, string sessionId,
        RecordingTab tab)
    {
        announcements.Close();
        var callsBefore = announcements.Calls.Count;
        var resume = OpenAsync(userId, sessionId, tab);
        await Eventually.TrueAsync(() => announcements.Calls.Count > callsBefore, because: "the claim reached the announcement");
        return resume;
    }

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();
}
