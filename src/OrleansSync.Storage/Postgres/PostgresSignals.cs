using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OrleansSync.Cluster;
using OrleansSync.Delivery;

namespace OrleansSync.Storage.Postgres;

/// <summary>
/// Wake-ups between nodes over PostgreSQL <c>LISTEN/NOTIFY</c> on one channel; a payload is
/// <c>targetNode|kind|sessionId</c> and each node keeps only its own. Sending never blocks the caller and
/// a failure only costs latency: the receiving node's poll finds the same work within a heartbeat.
/// Inbox wake-ups are sent by the write batch that fills the inbox (one NOTIFY per node per batch, in its
/// transaction); the others here are coalesced: those raised while a send is in flight go out together next.
/// </summary>
public sealed partial class PostgresSignals(PostgresDialect dialect, IOptions<NodeOptions> node, Lazy<NodeMaintenance> maintenance,
    ILogger<PostgresSignals> logger) : BackgroundService, IClusterSignals
{
    /// <summary>The NOTIFY channel.</summary>
    public const string Channel = "orleanssync";

    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);
    private readonly object _gate = new();
    private HashSet<string> _pending = new(StringComparer.Ordinal);
    private HashSet<string> _sendingBatch = new(StringComparer.Ordinal);
    private bool _sending;

    /// <summary>The wake-up for <paramref name="nodeId"/>'s inbox (sent by the write batch that fills it: see <c>SqlDialect.WakeInboxOwner</c>).</summary>
    internal static string InboxPayload(string nodeId) => Payload(nodeId, "inbox", "");

    private static string Payload(string target, string kind, string sessionId) => $"{target}|{kind}|{sessionId}";

    /// <inheritdoc />
    public void SessionClaimed(string previousOwner, string sessionId) => Send(previousOwner, "claimed", sessionId);

    /// <inheritdoc />
    public void OutboxChanged(string nodeId) => Send(nodeId, "outbox", "");

    /// <inheritdoc />
    public void SessionMayBeOrphaned(string ownerNode, string sessionId) => Send(ownerNode, "orphan", sessionId);

    private void Send(string target, string kind, string sessionId)
    {
        var payload = Payload(target, kind, sessionId);
        lock (_gate)
        {
            if (!_pending.Add(payload) || _sending)
            {
                return; // already waiting, or the running send loop takes it next
            }
            _sending = true;
        }
        _ = SendPendingAsync();
    }

    private async Task SendPendingAsync()
    {
        while (true)
        {
            HashSet<string> batch;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _sending = false;
                    return;
                }
                batch = _pending;
                _pending = _sendingBatch;
                _sendingBatch = batch;
            }
            try
            {
                await using var command = dialect.DataSource.CreateCommand("SELECT pg_notify(@channel, payload) FROM unnest(@payloads) AS payload");
                command.Parameters.AddWithValue("channel", Channel);
                command.Parameters.AddWithValue("payloads", batch.ToArray());
                await command.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                // Whatever failed, the loop goes on (or wake-ups would stop for good): the targets' polls cover this batch.
                Log.NotifyFailed(logger, exception.Message);
            }
            batch.Clear();
        }
    }

    /// <summary>Listens on a dedicated connection, reconnecting after a failure.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var self = node.Value.Id!;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dialect.OpenDedicatedConnectionAsync(stoppingToken).ConfigureAwait(false);
                connection.Notification += (_, e) => Dispatch(self, e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
                }
                Log.Listening(logger, self);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                Log.ListenFailed(logger, exception.Message);
                try
                {
                    await Task.Delay(ReconnectDelay, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Dispatch(string self, string payload)
    {
        var parts = payload.Split('|');
        if (parts.Length != 3 || parts[0] != self)
        {
            return;
        }
        var sessionId = parts[2].Length > 0 ? parts[2] : null;
        switch (parts[1])
        {
            case "inbox":
                maintenance.Value.Wake(new Wakeup(WakeupKind.Inbox, sessionId));
                break;
            case "claimed":
                maintenance.Value.Wake(new Wakeup(WakeupKind.Claimed, sessionId));
                break;
            case "outbox":
                maintenance.Value.Wake(new Wakeup(WakeupKind.Outbox, null));
                break;
            case "orphan":
                maintenance.Value.Wake(new Wakeup(WakeupKind.Orphaned, sessionId));
                break;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Node {NodeId} listening for wake-ups on PostgreSQL.")]
        public static partial void Listening(ILogger logger, string nodeId);

        [LoggerMessage(2, LogLevel.Warning, "Listening for wake-ups failed ({Reason}); reconnecting. Polling covers the gap.")]
        public static partial void ListenFailed(ILogger logger, string reason);

        [LoggerMessage(3, LogLevel.Debug, "A wake-up could not be sent ({Reason}); the target's poll covers it.")]
        public static partial void NotifyFailed(ILogger logger, string reason);
    }
}
