using System.Globalization;

namespace OrleansSync.Bench;

/// <summary>How the result tables show figures: numbers, ratios, verdicts and the derived per-delivery costs.</summary>
public static class TableCells
{
    public static string Show(double? value, string format) =>
        value is { } v && !double.IsNaN(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    public static double? Ratio(double? value, double? reference) =>
        value is { } n && reference is { } b && !double.IsNaN(n) && !double.IsNaN(b) && b != 0 ? n / b : null;

    /// <summary>Each round's values, "a / b / c" (<c>--rounds</c>), or "-" after a single run.</summary>
    public static string PerRound(double[]? values, string format) =>
        values is { Length: > 0 } ? string.Join(" / ", values.Select(v => Show(v, format))) : "-";

    /// <summary>A p50 and a p99 in one cell, "p50 / p99" in ms, or "-" when not measured.</summary>
    public static string P50AndP99((double P50, double P99)? milliseconds) =>
        milliseconds is { } ms ? $"{Show(ms.P50, "F2")} / {Show(ms.P99, "F2")}" : "-";

    public static string Verdict(bool? pass) => pass switch { true => "PASS", false => "FAIL", null => "" };

    /// <summary>Server CPU per acked delivery in the saturation window, in µs.</summary>
    public static double? ServerCpuPerDelivery(ServerFigures? figures) =>
        figures?.SaturationCpu is { } cpu ? cpu.Servers * 1_000_000 / figures.DeliveriesPerSecond : null;

    /// <summary>The load generator's CPU per acked delivery in the saturation window, in µs.</summary>
    public static double? BenchCpuPerDelivery(ServerFigures? figures) =>
        figures?.SaturationCpu is { } cpu ? cpu.Bench * 1_000_000 / figures.DeliveriesPerSecond : null;

    /// <summary>The load generator's CPU per delivery in the fixed-rate window (the same deliveries for every target), in µs.</summary>
    public static double? BenchCpuPerDeliveryAtFixedRate(ServerFigures? figures, int sessionsPerUser) =>
        figures?.FixedRateCpu is { } cpu ? cpu.Bench * 1_000_000 / (figures.AchievedRate * sessionsPerUser) : null;

    public static string Cores(ServerFigures? figures) =>
        figures?.SaturationCpu is { } c ? FormattableString.Invariant($"{c.Servers:F2} / {c.Bench:F2} / {c.Other:F2}") : "-";

    public static string Held(ServerFigures? figures, BenchOptions options) => figures is null ? "-"
        : $"{(figures.IdleHeld ? "yes" : "no")} ({figures.IdleOpened}/{options.IdleTarget} open, {figures.IdleDelivered} got the check event)";
}
