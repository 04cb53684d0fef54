using System.Text.Json.Serialization;

namespace OrleansSync.Gateway.Ops.Dashboard;

/// <summary>What <c>/dashboard/api/stats</c> answers (snake_case JSON). Durations in the names' units.</summary>
public sealed record DashboardStats(
    DateTimeOffset At,
    NodeSummary Node,
    IReadOnlyList<NodeSummary> Nodes,
    SiloMembership Membership,
    bool MetricsEnabled,
    ConnectionFigures Connections,
    QueueFigures Queue,
    IReadOnlyDictionary<string, int> Grains,
    DeliveryTotals Totals,
    DeliveryRates Rates,
    LatencyFigures Latency,
    IReadOnlyList<HistoryPoint> History,
    IReadOnlyDictionary<string, long> Rejected,
    StoreFigures Store,
    IReadOnlyList<RoomRow> Rooms,
    IReadOnlyList<LogRow> RecentErrors);

/// <summary>A node and its roles, as the project's own node table (<c>INodeStore</c>) lists it.</summary>
public sealed record NodeSummary(string Id, IReadOnlyList<string> Roles, string Environment, DateTimeOffset StartedAt, double UptimeSeconds);

/// <summary>
/// The silos in Orleans' membership (<see cref="OrleansMembershipReader"/>); <paramref name="OlderDeadSilos"/> dead ones
/// beyond the newest few are not listed; <paramref name="Error"/> says why the table could not be read (then no silos).
/// </summary>
public sealed record SiloMembership(IReadOnlyList<SiloRow> Silos, int OlderDeadSilos, string? Error);

/// <summary>
/// A silo: its address (<c>ip:port@generation</c>), Orleans name and host, status (<c>Joining</c>, <c>Active</c>,
/// <c>ShuttingDown</c>, <c>Dead</c>…), start, whether it is this process's silo, and its client gateway port if it has one.
/// </summary>
public sealed record SiloRow(string Address, string Name, string HostName, string Status, DateTimeOffset StartedAt, bool ThisProcess,
    bool Gateway, int? GatewayPort);

/// <summary>Sockets and attached sessions.</summary>
public sealed record ConnectionFigures(int OpenSockets, int AttachedSessions);

/// <summary>Events waiting for an ack.</summary>
public sealed record QueueFigures(int Events, double OldestAgeSeconds);

/// <summary>Counters since start.</summary>
public sealed record DeliveryTotals(double Sends, double Resends, double Acks, double Expiries, double MaxAttempts, double FullSync, double FramesRejected);

/// <summary>Per-second rates over the last sample interval.</summary>
public sealed record DeliveryRates(double Sends, double Resends, double Acks, double Expiries);

/// <summary>Publish→ack latency percentiles since start, in milliseconds (null before the first ack).</summary>
public sealed record LatencyFigures(long Count, double? P50Ms, double? P95Ms, double? P99Ms);

/// <summary>One second of history: rates, and latency percentiles over the 5 seconds up to it.</summary>
public sealed record HistoryPoint(long T, double Sends, double Resends, double Acks, double? P50Ms, double? P95Ms, double? P99Ms);

/// <summary>Store group-commit figures since start.</summary>
public sealed record StoreFigures(long Batches, double AvgBatchSize, double? CommitP99Ms);

/// <summary>A busy room.</summary>
public sealed record RoomRow(string ChurchId, string ConversationId, int Viewers);

/// <summary>A recent warning or error.</summary>
public sealed record LogRow(DateTimeOffset At, string Level, string Category, string Message);

/// <summary>Source-generated JSON of the ops endpoints.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(DashboardStats))]
[JsonSerializable(typeof(ReadinessBody))]
public sealed partial class OpsJsonContext : JsonSerializerContext;

/// <summary>Body of <c>/readyz</c>.</summary>
public sealed record ReadinessBody(string Status, string? Reason);
