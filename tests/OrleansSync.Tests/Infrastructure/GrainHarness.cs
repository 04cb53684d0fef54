using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrleansSync.Delivery;
using OrleansSync.Runtime;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>Grains over an in-memory store and a hand-driven clock.</summary>
public sealed class GrainHarness : IDisposable
{
    /// <param name="delivery">Delivery options (defaults otherwise).</param>
    /// <param name="sessionListLifetime">How long this node keeps copies of session lists (none kept otherwise; its heartbeat lease is long).</param>
    /// <param name="invalidation">Where forgets go (this node's copies only, otherwise).</param>
    public GrainHarness(DeliveryOptions? delivery = null, TimeSpan? sessionListLifetime = null, ISessionListInvalidation? invalidation = null)
    {
        SessionLists = new UserSessionCache(Time, sessionListLifetime ?? TimeSpan.Zero, leaseLength: TimeSpan.FromHours(1));
        SessionLists.RenewLease(Time.GetTimestamp());
        Delivery = delivery ?? new DeliveryOptions();
        DeliveryMonitor = new FixedOptionsMonitor<DeliveryOptions>(Delivery);
        Grains = new GrainFactory(Store, Unused.Of<OrleansSync.Conversations.IConversationStore>(), new NoSockets(),
            Unused.Of<OrleansSync.Cluster.IRoomOutbox>(), new NoClusterSignals(), Options.Create(new NodeOptions { Id = NodeId }), DeliveryMonitor,
            Options.Create(new GrainOptions()), Time, NullLoggerFactory.Instance, sessionLists: SessionLists, sessionListInvalidation: invalidation);
        Sessions = new SessionService(Grains);
        Publisher = new EventPublisher(Grains);
    }

    public const string NodeId = "unit-node";

    public DeliveryOptions Delivery { get; }
    public IOptionsMonitor<DeliveryOptions> DeliveryMonitor { get; }
    public FakeTimeProvider Time { get; } = new();
    public UserSessionCache SessionLists { get; }
    public InMemorySessionStore Store { get; } = new();
    public GrainFactory Grains { get; }
    public SessionService Sessions { get; }
    public EventPublisher Publisher { get; }

    public Task<PublishResult> PublishAsync(string userId, string json) =>
        Publisher.PublishToUserAsync(userId, System.Text.Json.JsonDocument.Parse(json).RootElement);

    public void Dispose() => Grains.Dispose();
}
