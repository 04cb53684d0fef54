using System.Globalization;
using System.Text;

namespace OrleansSync.Gateway.Ops;

/// <summary>
/// Writes instrument snapshots in the Prometheus text exposition format 0.0.4.
/// <para>
/// The usual exporter packages (<c>OpenTelemetry.Exporter.Prometheus.AspNetCore</c>, <c>prometheus-net</c>) are not
/// served by this project's package registry, so this is the small replacement. Mapping: instrument names become
/// <c>snake_case</c> with the unit as a suffix (<c>s</c> → <c>_seconds</c>, <c>By</c> → <c>_bytes</c>; annotations
/// such as <c>{event}</c> add nothing); counters get <c>_total</c>; histograms get cumulative <c>_bucket{le=…}</c>
/// series ending in <c>le="+Inf"</c>, plus <c>_sum</c> and <c>_count</c>; everything else is a gauge. Each family has
/// one HELP and one TYPE line, and its samples follow them contiguously.
/// </para>
/// </summary>
public static class PrometheusTextWriter
{
    /// <summary>Content type of the format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Writes every instrument; two instruments that would map to one family name keep the first.</summary>
    public static void Write(IReadOnlyList<InstrumentSnapshot> instruments, StringBuilder output)
    {
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var instrument in instruments)
        {
            var family = FamilyName(instrument);
            if (!written.Add(family))
            {
                continue;
            }
            if (!string.IsNullOrEmpty(instrument.Description))
            {
                output.Append("# HELP ").Append(family).Append(' ').Append(EscapeHelp(instrument.Description)).Append('\n');
            }
            output.Append("# TYPE ").Append(family).Append(' ').Append(instrument.Kind switch
            {
                InstrumentKind.Counter => "counter",
                InstrumentKind.Histogram => "histogram",
                _ => "gauge",
            }).Append('\n');
            foreach (var series in instrument.Series)
            {
                if (instrument.Kind == InstrumentKind.Histogram)
                {
                    WriteHistogram(family, instrument.Bounds, series, output);
                }
                else
                {
                    WriteSample(output, family, series.Labels, null, series.Value);
                }
            }
        }
    }

    /// <summary>The family name of an instrument (see the type's remarks for the mapping).</summary>
    public static string FamilyName(InstrumentSnapshot instrument)
    {
        var name = SanitizeName(instrument.Name);
        var suffix = UnitSuffix(instrument.Unit);
        if (suffix.Length > 0 && !name.EndsWith("_" + suffix, StringComparison.Ordinal))
        {
            name += "_" + suffix;
        }
        if (instrument.Kind == InstrumentKind.Counter && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            name += "_total";
        }
        return name;
    }

    private static void WriteHistogram(string family, IReadOnlyList<double> bounds, SeriesSnapshot series, StringBuilder output)
    {
        var counts = series.BucketCounts ?? [];
        long cumulative = 0;
        for (var i = 0; i < bounds.Count; i++)
        {
            cumulative += i < counts.Length ? counts[i] : 0;
            WriteSample(output, family + "_bucket", series.Labels, FormatNumber(bounds[i]), cumulative);
        }
        if (counts.Length > bounds.Count)
        {
            cumulative += counts[bounds.Count];
        }
        // _count is the +Inf bucket, so the two always agree even while values are being recorded.
        WriteSample(output, family + "_bucket", series.Labels, "+Inf", cumulative);
        WriteSample(output, family + "_sum", series.Labels, null, series.Value);
        WriteSample(output, family + "_count", series.Labels, null, cumulative);
    }

    private static void WriteSample(StringBuilder output, string name, IReadOnlyList<KeyValuePair<string, string>> labels, string? le, double value)
    {
        output.Append(name);
        if (labels.Count > 0 || le is not null)
        {
            output.Append('{');
            var first = true;
            foreach (var (key, text) in labels)
            {
                if (!first) output.Append(',');
                first = false;
                output.Append(SanitizeLabelName(key)).Append("=\"");
                AppendEscapedLabelValue(output, text);
                output.Append('"');
            }
            if (le is not null)
            {
                if (!first) output.Append(',');
                output.Append("le=\"").Append(le).Append('"');
            }
            output.Append('}');
        }
        output.Append(' ').Append(FormatNumber(value)).Append('\n');
    }

    /// <summary>Numbers as Go's ParseFloat reads them: shortest round-trip form, <c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>.</summary>
    public static string FormatNumber(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static string UnitSuffix(string? unit) => unit switch
    {
        null or "" or "1" => "",
        "s" => "seconds",
        "ms" => "milliseconds",
        "By" => "bytes",
        _ when unit.StartsWith('{') => "",
        _ => SanitizeName(unit),
    };

    /// <summary>Metric names match <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>; anything else becomes <c>_</c>.</summary>
    public static string SanitizeName(string name)
    {
        var builder = new StringBuilder(name.Length + 1);
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or ':' ? c : '_');
        }
        if (builder.Length == 0 || char.IsAsciiDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }
        return builder.ToString();
    }

    /// <summary>Label names match <c>[a-zA-Z_][a-zA-Z0-9_]*</c>.</summary>
    public static string SanitizeLabelName(string name)
    {
        var builder = new StringBuilder(name.Length + 1);
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }
        if (builder.Length == 0 || char.IsAsciiDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }
        return builder.ToString();
    }

    /// <summary>Label values escape backslash, double quote and line feed.</summary>
    private static void AppendEscapedLabelValue(StringBuilder output, string value)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': output.Append(@"\\"); break;
                case '"': output.Append("\\\""); break;
                case '\n': output.Append(@"\n"); break;
                default: output.Append(c); break;
            }
        }
    }

    /// <summary>HELP text escapes backslash and line feed.</summary>
    private static string EscapeHelp(string text) => text.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal);
}
