using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSync.Cluster;
using OrleansSync.Conversations;
using OrleansSync.Delivery;
using OrleansSync.Diagnostics;
using OrleansSync.Storage;

namespace OrleansSync.Runtime;

/// <summary>The directories of every grain type of this node; the one place grains are wired to their dependencies.</summary>
public sealed class GrainFactory : IDisposable
{
    /// <summary>
    /// Builds the directories. Without <paramref name="metrics"/>, nothing is measured; without <paramref name="peers"/>
    /// (one node), copies for sessions of other nodes always go through their inbox. Without <paramref name="sessionLists"/>,
    /// nothing keeps users' session lists (every publish reads them).
    /// </summary>
    public GrainFactory(ISessionStore store, IConversationStore conversationStore, ISocketDirectory sockets, IRoomOutbox outbox,
        IClusterSignals signals, IOptions<NodeOptions> node, IOptionsMonitor<DeliveryOptions> delivery, IOptions<GrainOptions> grainOptions,
        TimeProvider time, ILoggerFactory loggerFactory, SyncMetrics? metrics = null, IPeerDelivery? peers = null,
        UserSessionCache? sessionLists = null, ISessionListInvalidation? sessionListInvalidation = null)
    {
        sessionLists ??= UserSessionCache.Off(time);
        sessionListInvalidation ??= new LocalSessionListInvalidation(sessionLists);
        var options = grainOptions.Value;
        var nodeId = node.Value.Id ?? throw new InvalidOperationException("Node:Id is not set.");
        var sessionLogger = loggerFactory.CreateLogger<SessionGrain>();
        var conversationLogger = loggerFactory.CreateLogger<ConversationGrain>();
        metrics ??= new SyncMetrics("", enabled: false, time);
        Router = new SessionRouter(new Lazy<GrainDirectory<SessionGrain>>(() => Sessions!), store, nodeId, peers);
        Sessions = new GrainDirectory<SessionGrain>(_ => new SessionGrain(store, delivery, time, nodeId, signals, sessionListInvalidation, sessionLogger, metrics), time, options);
        Users = new GrainDirectory<UserGrain>(_ => new UserGrain(store, Router, sessionLists, sessionListInvalidation, metrics), time, options);
        Conversations = new GrainDirectory<ConversationGrain>(
            _ => new ConversationGrain(conversationStore, sockets, outbox, Router, signals, conversationLogger), time, options);
        metrics.ObserveSessions(Sessions);
        metrics.ObserveGrainType("session", () => Sessions.ActiveCount);
        metrics.ObserveGrainType("user", () => Users.ActiveCount);
        metrics.ObserveGrainType("conversation", () => Conversations.ActiveCount);
    }

    /// <summary>Routes events to sessions wherever their sockets are.</summary>
    public SessionRouter Router { get; }

    /// <summary>Per-room grains (key: <see cref="RoomKey.GrainKey"/>).</summary>
    public GrainDirectory<ConversationGrain> Conversations { get; }

    /// <summary>Per-session grains (key: session id).</summary>
    public GrainDirectory<SessionGrain> Sessions { get; }

    /// <summary>Per-user fan-out grains (key: user id, the JWT <c>sub</c>).</summary>
    public GrainDirectory<UserGrain> Users { get; }

    /// <summary>Deactivates everything (shutdown).</summary>
    public async Task DeactivateAllAsync()
    {
        await Sessions.DeactivateAllAsync().ConfigureAwait(false);
        await Users.DeactivateAllAsync().ConfigureAwait(false);
        await Conversations.DeactivateAllAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Sessions.Dispose();
        Users.Dispose();
        Conversations.Dispose();
    }
}
