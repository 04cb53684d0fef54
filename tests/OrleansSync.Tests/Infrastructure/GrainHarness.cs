using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrleansSync.Delivery;
using OrleansSync.Runtime;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>Grains over an in-memory store and a hand-driven clock.</summary>
public sealed class GrainHarness : IDisposable
{
    public GrainHarness(DeliveryOptions? delivery = null)
    {
        Delivery = delivery ?? new DeliveryOptions();
        DeliveryMonitor = new FixedOptionsMonitor<DeliveryOptions>(Delivery);
        Grains = new GrainFactory(Store, Unused.Of<OrleansSync.Conversations.IConversationStore>(), new NoSockets(),
            Unused.Of<OrleansSync.Cluster.IRoomOutbox>(), new NoClusterSignals(), Options.Create(new NodeOptions { Id = NodeId }), DeliveryMonitor,
            Options.Create(new GrainOptions()), Time, NullLoggerFactory.Instance);
        Sessions = new SessionService(Grains);
        Publisher = new EventPublisher(Grains);
    }

    public const string NodeId = "unit-node";

    public DeliveryOptions Delivery { get; }
    public IOptionsMonitor<DeliveryOptions> DeliveryMonitor { get; }
    public ManualTimeProvider Time { get; } = new();
    public InMemorySessionStore Store { get; } = new();
    public GrainFactory Grains { get; }
    public SessionService Sessions { get; }
    public EventPublisher Publisher { get; }

    public Task<PublishResult> PublishAsync(string userId, string json) =>
        Publisher.PublishToUserAsync(userId, System.Text.Json.JsonDocument.Parse(json).RootElement);

    public void Dispose() => Grains.Dispose();

    private sealed class FixedOptionsMonitor<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue => value;
        public T Get(string? name) => value;
        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }
}
