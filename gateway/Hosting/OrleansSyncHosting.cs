using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSync.Cluster;
using OrleansSync.Conversations;
using OrleansSync.Delivery;
using OrleansSync.Gateway.Messaging;
using OrleansSync.Gateway.Auth;
using OrleansSync.Gateway.Http;
using OrleansSync.Gateway.Client;
using OrleansSync.Gateway.Ops;
using OrleansSync.Gateway.Publishing;
using OrleansSync.Gateway.Sockets;
using OrleansSync.Gateway.Sockets.Upgrade;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using OrleansSync.Storage;
using OrleansSync.Storage.Ado;
using OrleansSync.Storage.Postgres;

namespace OrleansSync.Gateway.Hosting;

/// <summary>Composition of a node: options, store, grains, gateway and APIs.</summary>
public static class OrleansSyncHosting
{
    /// <summary>Registers every service of a node (both roles) from configuration.</summary>
    public static WebApplicationBuilder AddOrleansSync(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var services = builder.Services;
        services.AddOptions<DeliveryOptions>().Bind(configuration.GetSection(DeliveryOptions.SectionName))
            .Validate(o => { o.Validate(); return true; });
        services.AddOptions<GrainOptions>().Bind(configuration.GetSection(GrainOptions.SectionName));
        services.AddOptions<StoreOptions>().Bind(configuration.GetSection(StoreOptions.SectionName))
            .Validate(o => { o.Validate(); return true; }).ValidateOnStart();
        services.AddOptions<SocketGatewayOptions>().Bind(configuration.GetSection(SocketGatewayOptions.SectionName));
        services.AddOptions<AuthOptions>().Bind(configuration.GetSection(AuthOptions.SectionName));
        services.AddOptions<ApiOptions>().Bind(configuration.GetSection(ApiOptions.SectionName));
        services.AddOptions<RoomLimits>().Bind(configuration.GetSection(RoomLimits.SectionName));
        services.AddOptions<NodeClusterOptions>().Bind(configuration.GetSection(NodeClusterOptions.SectionName))
            .Validate(o => o.SessionListLifetime >= TimeSpan.Zero && o.SessionListLifetime <= TimeSpan.FromMinutes(1),
                "Cluster:SessionListLifetime must be between 0 (off) and 1 minute.")
            .ValidateOnStart();
        services.AddSingleton(new NodeRoles(configuration["Node:Roles"]));
        services.TryAddTimeProvider();

        services.AddSingleton(sp => StoreFactory.CreateDialect(sp.GetRequiredService<IOptions<StoreOptions>>().Value));
        services.AddSingleton<StoreHealth>();
        services.AddSingleton<AdoSessionStore>();
        services.AddSingleton<ISessionStore>(sp => sp.GetRequiredService<AdoSessionStore>());
        services.AddSingleton<ISocketLocations>(sp => sp.GetRequiredService<AdoSessionStore>());
        services.AddSingleton<IRoomOutbox>(sp => sp.GetRequiredService<AdoSessionStore>());
        services.AddSingleton<IConversationStore, AdoConversationStore>();
        services.AddSingleton<INodeStore, AdoNodeStore>();
        var postgres = StoreFactory.IsPostgres(configuration[$"{StoreOptions.SectionName}:{nameof(StoreOptions.Provider)}"]);
        InlineIo.ConfigureKestrel(builder, postgres);
        if (postgres)
        {
            // A cluster: nodes wake each other with LISTEN/NOTIFY (a hint; each node also polls).
            services.AddSingleton(sp => (PostgresDialect)sp.GetRequiredService<SqlDialect>());
            services.AddSingleton(sp => new Lazy<NodeMaintenance>(sp.GetRequiredService<NodeMaintenance>));
            services.AddSingleton<PostgresSignals>();
            services.AddSingleton<IClusterSignals>(sp => sp.GetRequiredService<PostgresSignals>());
            services.AddHostedService(sp => sp.GetRequiredService<PostgresSignals>());
        }
        else
        {
            services.AddSingleton<IClusterSignals, NoClusterSignals>();
        }
        services.AddSingleton<UserGrainSessionLists>();
        if (postgres)
        {
            services.AddSingleton<ISessionListInvalidation>(sp => sp.GetRequiredService<UserGrainSessionLists>());
        }
        else
        {
            services.AddSingleton<ISessionListInvalidation, SingleSiloSessionLists>(); // a SQLite node is a cluster of its own
        }
        builder.AddOrleans();
        services.AddSingleton(new AttachedSessions { ParkingPossible = !postgres }); // parking needs a silo alone in its cluster
        services.AddSingleton<ActiveUsers>();
        services.AddSingleton<LocalGateway>();
        services.AddSingleton<SessionRouter>();
        services.AddSingleton<RoomService>();
        services.AddSingleton<SessionService>();
        services.AddSingleton<IEventPublisher, EventPublisher>();
        services.AddSingleton<NodeMaintenance>();
        services.AddHostedService(sp => sp.GetRequiredService<NodeMaintenance>());
        services.AddSingleton<Sweeper>();
        services.AddHostedService<SweeperStart>(); // after the silo's hosted service: it calls a grain

        services.AddSingleton<TokenRules>();
        services.AddSingleton<TokenValidator>();
        services.AddBearerAuthentication();
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<SocketRegistry>();
        services.AddSingleton<GatewayObserver>();
        services.AddSingleton<SocketServer>();
        services.AddSingleton<ISocketDirectory>(sp => sp.GetRequiredService<SocketRegistry>());
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, GatewayJsonContext.Default));
        builder.AddOrleansSyncOps();
        // Kestrel's limits from configuration (Kestrel:Limits:*), which the direct upgrade honours too; a request body is
        // at most 64 KiB unless its route says otherwise (RequestBodyLimit) or the configuration sets another default.
        services.Configure<KestrelServerOptions>(kestrel => kestrel.Limits.MaxRequestBodySize = RequestBodyLimit.DefaultBytes);
        services.Configure<KestrelServerOptions>(configuration.GetSection("Kestrel"));
        if (new NodeRoles(configuration["Node:Roles"]).Gateway && configuration.GetValue($"{SocketGatewayOptions.SectionName}:{nameof(SocketGatewayOptions.DirectUpgrade)}", true))
        {
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.UseDirectWebSocketUpgrade()));
        }
        return builder;
    }

    /// <summary>
    /// Prepares the store (schema; this node's registration; the sessions and viewers its previous run left
    /// behind) before the server accepts anything, then maps the endpoints of this node's roles.
    /// </summary>
    public static async Task UseOrleansSyncAsync(this WebApplication app)
    {
        var delivery = app.Services.GetRequiredService<IOptions<DeliveryOptions>>().Value; // validates
        var store = app.Services.GetRequiredService<AdoSessionStore>();
        await store.MigrateAsync();
        app.Services.GetRequiredService<ReadinessCheck>().MarkMigrated();
        await app.Services.GetRequiredService<NodeMaintenance>().PrepareAsync(app.Lifetime.ApplicationStopping);
        var roles = app.Services.GetRequiredService<NodeRoles>();

        var rooms = app.Services.GetRequiredService<RoomService>();
        app.Services.GetRequiredService<SocketRegistry>().SocketClosed += socket => rooms.LeaveAllAsync(socket.SocketId);

        app.UseErrorAnswers();
        app.MapOrleansSyncOps();
        if (roles.Gateway)
        {
            app.UseWebSockets();
            app.MapSyncWebSocket();
            app.MapClientLibrary();
        }
        if (roles.Silo)
        {
            app.MapPublishApi();
            app.MapMessaging();
        }
        if (app.Environment.IsDevelopment())
        {
            app.MapDevelopmentTokens();
        }
        var outboundFrames = app.Services.GetRequiredService<IOptions<SocketGatewayOptions>>().Value.OutboundBufferFrames;
        if (roles.Gateway && delivery.SendWindow >= outboundFrames)
        {
            app.Logger.LogWarning(
                "Delivery:SendWindow ({SendWindow}) is not below Gateway:OutboundBufferFrames ({OutboundFrames}): a tab that reads and acks " +
                "honestly can be closed as a slow consumer (4004) by its own replay. Keep the window well below the buffer.",
                delivery.SendWindow, outboundFrames);
        }
        app.Logger.LogInformation(
            "OrleansSync node {NodeId} ready: roles {Roles}, store {Provider}, retry {Retry}, max attempts {MaxAttempts}, retention {Retention}.",
            app.Services.GetRequiredService<IOptions<NodeOptions>>().Value.Id, roles.Describe(),
            app.Services.GetRequiredService<IOptions<StoreOptions>>().Value.Provider, delivery.RetryInterval, delivery.MaxAttempts, delivery.RetentionWindow);
    }

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }
}
