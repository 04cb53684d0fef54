using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>
/// A small, strict parser of the Prometheus text exposition format 0.0.4, to check what <c>/metrics</c> serves.
/// It throws <see cref="FormatException"/> on anything a scraper would reject or that this project never emits:
/// bad names, bad escapes, a TYPE after samples, repeated HELP/TYPE, a family split in two, duplicate series,
/// samples without a TYPE, timestamps, histograms whose buckets are not cumulative or disagree with _count.
/// </summary>
public sealed partial class PrometheusText
{
    private static readonly HashSet<string> KnownTypes = ["counter", "gauge", "histogram", "summary", "untyped"];

    public Dictionary<string, string> Types { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Help { get; } = new(StringComparer.Ordinal);
    public List<Sample> Samples { get; } = [];

    public sealed record Sample(string Name, string Family, IReadOnlyDictionary<string, string> Labels, double Value);

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();

    public static PrometheusText Parse(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n')) throw new FormatException("the exposition must end with a line feed");
        if (text.Contains('\r')) throw new FormatException("carriage return in the exposition");
        var result = new PrometheusText();
        var finished = new HashSet<string>(StringComparer.Ordinal);
        var seenSeries = new HashSet<string>(StringComparer.Ordinal);
        string? currentFamily = null;
        var lines = text.Split('\n');
        for (var n = 0; n < lines.Length - 1; n++)
        {
            var line = lines[n];
            void Fail(string why) => throw new FormatException($"line {n + 1} \"{line}\": {why}");
            if (line.Length == 0) Fail("empty line");
            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length < 3 || parts[0] != "#" || (parts[1] != "HELP" && parts[1] != "TYPE")) Fail("only HELP and TYPE comments are expected");
                var name = parts[2];
                if (!MetricName().IsMatch(name)) Fail("bad metric name");
                if (finished.Contains(name)) Fail("family appears twice");
                if (currentFamily != name)
                {
                    if (currentFamily is not null) finished.Add(currentFamily);
                    currentFamily = name;
                }
                if (parts[1] == "HELP")
                {
                    if (result.Help.ContainsKey(name)) Fail("second HELP");
                    result.Help[name] = Unescape(parts.Length > 3 ? parts[3] : "", help: true, Fail);
                }
                else
                {
                    if (parts.Length != 4 || !KnownTypes.Contains(parts[3])) Fail("bad TYPE");
                    if (result.Types.ContainsKey(name)) Fail("second TYPE");
                    if (result.Samples.Any(s => s.Family == name)) Fail("TYPE after samples");
                    result.Types[name] = parts[3];
                }
                continue;
            }
            var (sampleName, labels, value) = ParseSample(line, Fail);
            var family = result.Types.ContainsKey(sampleName) ? sampleName : FamilyOf(sampleName, result.Types);
            if (family is null) Fail("sample without a TYPE line");
            if (family != currentFamily) Fail("sample outside its family's block");
            var type = result.Types[family!];
            if (type is "counter" && (value < 0 || double.IsNaN(value))) Fail("counter must be a non-negative number");
            if (type is "histogram" && sampleName == family) Fail("histogram samples need _bucket, _sum or _count");
            if (sampleName.EndsWith("_bucket", StringComparison.Ordinal) && type == "histogram" && !labels.ContainsKey("le")) Fail("bucket without le");
            var key = sampleName + "{" + string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)) + "}";
            if (!seenSeries.Add(key)) Fail("duplicate series");
            result.Samples.Add(new Sample(sampleName, family!, labels, value));
        }
        result.CheckHistograms();
        return result;
    }

    /// <summary>The value of the one sample named <paramref name="name"/> whose labels include <paramref name="labels"/>; 0 if none.</summary>
    public double ValueOrZero(string name, params (string Key, string Value)[] labels)
    {
        var matches = Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();
        if (matches.Count > 1) throw new InvalidOperationException($"{matches.Count} series of {name} match");
        return matches.Count == 0 ? 0 : matches[0].Value;
    }

    private void CheckHistograms()
    {
        foreach (var family in Types.Where(t => t.Value == "histogram").Select(t => t.Key))
        {
            var groups = Samples.Where(s => s.Family == family)
                .GroupBy(s => string.Join(",", s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)));
            foreach (var group in groups)
            {
                var buckets = group.Where(s => s.Name == family + "_bucket").ToList();
                if (buckets.Count == 0) throw new FormatException($"{family}: no buckets");
                var bounds = buckets.Select(b => ParseValue(b.Labels["le"])).ToList();
                for (var i = 1; i < buckets.Count; i++)
                {
                    if (!(bounds[i] > bounds[i - 1])) throw new FormatException($"{family}: le not ascending");
                    if (buckets[i].Value < buckets[i - 1].Value) throw new FormatException($"{family}: buckets not cumulative");
                }
                if (!double.IsPositiveInfinity(bounds[^1])) throw new FormatException($"{family}: last bucket must be +Inf");
                var count = group.SingleOrDefault(s => s.Name == family + "_count") ?? throw new FormatException($"{family}: no _count");
                _ = group.SingleOrDefault(s => s.Name == family + "_sum") ?? throw new FormatException($"{family}: no _sum");
                if (count.Value != buckets[^1].Value) throw new FormatException($"{family}: _count differs from the +Inf bucket");
            }
        }
    }

    private static string? FamilyOf(string sampleName, Dictionary<string, string> types)
    {
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (sampleName.EndsWith(suffix, StringComparison.Ordinal))
            {
                var family = sampleName[..^suffix.Length];
                if (types.TryGetValue(family, out var type) && type is "histogram" or "summary") return family;
            }
        }
        return null;
    }

    private static (string Name, Dictionary<string, string> Labels, double Value) ParseSample(string line, Action<string> fail)
    {
        var i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ') i++;
        var name = line[..i];
        if (!MetricName().IsMatch(name)) fail("bad metric name");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (true)
            {
                if (i >= line.Length) fail("unterminated labels");
                if (line[i] == '}') { i++; break; }
                if (labels.Count > 0)
                {
                    if (line[i] != ',') fail("labels must be separated by commas");
                    i++;
                }
                var start = i;
                while (i < line.Length && line[i] != '=') i++;
                var labelName = line[start..i];
                if (!LabelName().IsMatch(labelName)) fail($"bad label name '{labelName}'");
                if (i + 1 >= line.Length || line[i + 1] != '"') fail("label value must be quoted");
                i += 2;
                var value = new StringBuilder();
                while (true)
                {
                    if (i >= line.Length) fail("unterminated label value");
                    var c = line[i++];
                    if (c == '"') break;
                    if (c == '\\')
                    {
                        if (i >= line.Length) fail("dangling backslash");
                        var escaped = line[i++];
                        value.Append(escaped switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            _ => throw new FormatException($"bad escape \\{escaped} in \"{line}\""),
                        });
                        continue;
                    }
                    value.Append(c);
                }
                if (!labels.TryAdd(labelName, value.ToString())) fail("duplicate label");
            }
        }
        if (i >= line.Length || line[i] != ' ') fail("a single space must separate the value");
        var rest = line[(i + 1)..];
        if (rest.Contains(' ')) fail("timestamps or extra fields are not expected");
        return (name, labels, ParseValue(rest));
    }

    private static double ParseValue(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ when double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
            CultureInfo.InvariantCulture, out var value) => value,
        _ => throw new FormatException($"bad number '{text}'"),
    };

    private static string Unescape(string text, bool help, Action<string> fail)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\') { builder.Append(text[i]); continue; }
            if (++i >= text.Length) fail("dangling backslash");
            builder.Append(text[i] switch
            {
                '\\' => '\\',
                'n' => '\n',
                _ => throw new FormatException($"bad escape in HELP: \\{text[i]}"),
            });
        }
        _ = help;
        return builder.ToString();
    }
}
