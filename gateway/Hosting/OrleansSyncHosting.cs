using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansSync.Conversations;
using OrleansSync.Delivery;
using OrleansSync.Gateway.Messaging;
using OrleansSync.Gateway.Auth;
using OrleansSync.Gateway.Client;
using OrleansSync.Gateway.Ops;
using OrleansSync.Gateway.Publishing;
using OrleansSync.Gateway.Sockets;
using OrleansSync.Runtime;
using OrleansSync.Storage;
using OrleansSync.Storage.Ado;

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
        services.AddOptions<StoreOptions>().Bind(configuration.GetSection(StoreOptions.SectionName));
        services.AddOptions<GatewayOptions>().Bind(configuration.GetSection(GatewayOptions.SectionName));
        services.AddOptions<AuthOptions>().Bind(configuration.GetSection(AuthOptions.SectionName));
        services.AddOptions<ApiOptions>().Bind(configuration.GetSection(ApiOptions.SectionName));
        services.AddOptions<RoomLimits>().Bind(configuration.GetSection(RoomLimits.SectionName));
        services.TryAddTimeProvider();

        services.AddSingleton(sp => StoreFactory.CreateDialect(sp.GetRequiredService<IOptions<StoreOptions>>().Value));
        services.AddSingleton<AdoSessionStore>();
        services.AddSingleton<ISessionStore>(sp => sp.GetRequiredService<AdoSessionStore>());
        services.AddSingleton<IConversationStore, AdoConversationStore>();
        services.AddSingleton<RoomService>();
        services.AddSingleton<GrainFactory>();
        services.AddSingleton<SessionService>();
        services.AddSingleton<IEventPublisher, EventPublisher>();
        services.AddSingleton<RetentionSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<RetentionSweeper>());

        services.AddSingleton<TokenValidator>();
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<SocketRegistry>();
        services.AddSingleton<ISocketDirectory>(sp => sp.GetRequiredService<SocketRegistry>());
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, GatewayJsonContext.Default));
        builder.AddOrleansSyncOps();
        return builder;
    }

    /// <summary>
    /// Prepares the store (schema, retention clock of sessions orphaned by the previous process) before
    /// the server accepts anything, then maps the endpoints.
    /// </summary>
    public static async Task UseOrleansSyncAsync(this WebApplication app)
    {
        var delivery = app.Services.GetRequiredService<IOptions<DeliveryOptions>>().Value; // validates
        var store = app.Services.GetRequiredService<AdoSessionStore>();
        await store.MigrateAsync();
        app.Services.GetRequiredService<ReadinessCheck>().MarkMigrated();
        var time = app.Services.GetRequiredService<TimeProvider>();
        await store.StartRetentionForOrphansAsync(time.GetUtcNow() + delivery.RetentionWindow);
        // Connection rows of this node's previous run belong to sockets that no longer exist.
        var nodeId = app.Services.GetRequiredService<IOptions<NodeOptions>>().Value.Id!;
        await app.Services.GetRequiredService<IConversationStore>().DeleteConnectionsOfNodeAsync(nodeId);

        var rooms = app.Services.GetRequiredService<RoomService>();
        app.Services.GetRequiredService<SocketRegistry>().SocketClosed += socket => rooms.LeaveAllAsync(socket.SocketId);

        // Grains stop their timers when the host stops; the store flushes queued writes when the container is disposed.
        app.Lifetime.ApplicationStopped.Register(() => app.Services.GetRequiredService<GrainFactory>().DeactivateAllAsync().GetAwaiter().GetResult());

        app.MapOrleansSyncOps();
        app.UseWebSockets();
        app.MapSyncWebSocket();
        app.MapPublishApi();
        app.MapMessaging();
        app.MapClientLibrary();
        if (app.Environment.IsDevelopment())
        {
            app.MapDevelopmentTokens();
        }
        app.Logger.LogInformation("OrleansSync node ready: store {Provider}, retry {Retry}, max attempts {MaxAttempts}, retention {Retention}.",
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
