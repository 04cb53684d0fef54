using System.Buffers.Text;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace OrleansSync.Bench;

/// <summary>
/// Posts bench events <c>{"type":"bench","seq":N,"t":TICKS}</c> to <c>POST /api/users/{user}/events</c>,
/// user = seq modulo the user count. <c>t</c> is the Stopwatch timestamp the event was due, so latency
/// includes any time the publisher itself fell behind (no coordinated omission). With several servers (cluster
/// nodes), publishes go round robin: seq N to server N mod count.
/// </summary>
public sealed class Publisher : IDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly HttpClient _http;
    private readonly IReadOnlyList<Uri> _baseAddresses;
    private readonly int _users;
    private readonly bool _placeByUser;
    private long _failed;
    private long _accepted;
    private long _answersFrom;
    private byte[]? _answers; // per seq of the recorded range: 0 no answer yet, Accepted202 or NotAccepted
    private long _slowestAnswerTicks;
    private long _startsFrom;
    private long[]? _requestStarts; // per seq of the fixed-rate run: the timestamp its request began (0: not yet)
    private const byte Accepted202 = 1;
    private const byte NotAccepted = 2;

    /// <param name="placeByUser">Send user u's publishes to server u mod count (where <see cref="ClientFleet"/> put its sessions).</param>
    public Publisher(IReadOnlyList<Uri> baseAddresses, string apiKey, int users, int maxConnections, bool placeByUser = false)
    {
        _users = users;
        _placeByUser = placeByUser;
        _baseAddresses = baseAddresses;
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = maxConnections, UseProxy = false })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        _http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
    }

    /// <summary>Publishes that did not get 202.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Publishes answered 202: each must reach every session of its user.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Records whether each seq in [fromSeq, fromSeq + count) was accepted, and the slowest answer, so each publish can be checked on its own.</summary>
    public void RecordAnswers(long fromSeq, long count)
    {
        _answersFrom = fromSeq;
        Volatile.Write(ref _answers, new byte[count]);
    }

    /// <summary>Whether <paramref name="seq"/> (in the range given to <see cref="RecordAnswers"/>) was answered 202.</summary>
    public bool WasAccepted(long seq) => Volatile.Read(ref _answers)![seq - _answersFrom] == Accepted202;

    /// <summary>
    /// The fixed-rate run's lateness: from the moment each publish was due to the moment its request began. The
    /// generator's own share of publish→receive (its timer, its threads, and any CPU the server takes from it).
    /// </summary>
    public LatencyHistogram Lateness { get; private set; } = new();

    /// <summary>When the request of <paramref name="seq"/> (of the last fixed-rate run) began, or 0.</summary>
    public long RequestStartOf(long seq) =>
        Volatile.Read(ref _requestStarts) is { } starts && (ulong)(seq - _startsFrom) < (ulong)starts.Length
            ? Volatile.Read(ref starts[seq - _startsFrom]) : 0;

    /// <summary>The longest a publish of the recorded range waited for its answer (or its failure).</summary>
    public TimeSpan SlowestAnswer => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _slowestAnswerTicks));

    /// <summary>
    /// Publishes as fast as <paramref name="window"/> allows with <paramref name="concurrency"/> requests in flight,
    /// from seq <paramref name="firstSeq"/> on, until <paramref name="duration"/> ends. Returns the next unused seq.
    /// </summary>
    public async Task<long> RunClosedLoopAsync(long firstSeq, TimeSpan duration, int concurrency, int fanOut, PublishWindow window)
    {
        var next = firstSeq - 1;
        using var stop = new CancellationTokenSource(duration);
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var seq = Interlocked.Increment(ref next);
                    await window.AcquireAsync(seq, fanOut, stop.Token).ConfigureAwait(false);
                    await PostAsync(seq, Stopwatch.GetTimestamp()).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // Duration over while waiting for room.
            }
        }).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        return Interlocked.Read(ref next) + 1;
    }

    /// <summary>
    /// Publishes <paramref name="count"/> events at <paramref name="perSecond"/> on a fixed schedule, at most
    /// <paramref name="maxInFlight"/> at once. A thread of its own waits for each due time (<see cref="PreciseWait"/>)
    /// and starts the request there, so the schedule does not depend on the timer queue or on a free pool thread.
    /// <para>
    /// Each publish is due at a random moment of its slot (1 ms at 1000/s), unless <paramref name="evenSchedule"/>: an
    /// even schedule puts every publish at one of four phases of the kernel's 4 ms tick (HZ=250), and on this machine
    /// the time to the first copy depends on that phase (about 0.15 ms more in half of the period, for every target),
    /// so a run's p99 depended on where its schedule happened to fall (bench/README.md, 2026-12-07, sixth session).
    /// A fixed seed: every run and target draws the same offsets.
    /// </para>
    /// </summary>
    public async Task RunOpenLoopAsync(long firstSeq, long count, double perSecond, int maxInFlight, bool evenSchedule = false)
    {
        var offsets = new Random(17);
        using var inFlight = new SemaphoreSlim(maxInFlight, maxInFlight);
        var pending = new List<Task>();
        Lateness = new LatencyHistogram();
        _startsFrom = firstSeq;
        Volatile.Write(ref _requestStarts, new long[count]);
        var scheduled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                var start = Stopwatch.GetTimestamp();
                var ticksPerEvent = Stopwatch.Frequency / perSecond;
                for (long i = 0; i < count; i++)
                {
                    var due = start + (long)((i + (evenSchedule ? 0 : offsets.NextDouble())) * ticksPerEvent);
                    PreciseWait.Until(due);
                    inFlight.Wait();
                    pending.Add(PostReleasingAsync(firstSeq + i, due, inFlight));
                }
                scheduled.SetResult();
            }
            catch (Exception exception)
            {
                scheduled.SetException(exception);
            }
        }) { IsBackground = true, Name = "fixed-rate publisher" }.Start();
        await scheduled.Task.ConfigureAwait(false);
        await Task.WhenAll(pending).ConfigureAwait(false);
    }

    private async Task PostReleasingAsync(long seq, long dueTimestamp, SemaphoreSlim inFlight)
    {
        try
        {
            await PostAsync(seq, dueTimestamp).ConfigureAwait(false);
        }
        finally
        {
            inFlight.Release();
        }
    }

    private async Task PostAsync(long seq, long dueTimestamp)
    {
        var body = new byte[64];
        var length = Write(body, seq, dueTimestamp);
        using var content = new ByteArrayContent(body, 0, length);
        content.Headers.ContentType = Json;
        var accepted = false;
        var started = Stopwatch.GetTimestamp();
        if (Volatile.Read(ref _requestStarts) is { } starts && (ulong)(seq - _startsFrom) < (ulong)starts.Length)
        {
            Volatile.Write(ref starts[seq - _startsFrom], started);
            Lateness.Record((long)Stopwatch.GetElapsedTime(dueTimestamp, started).TotalMicroseconds);
        }
        try
        {
            var server = _baseAddresses[(int)((_placeByUser ? seq % _users : seq) % _baseAddresses.Count)];
            using var response = await _http.PostAsync(new Uri(server, $"api/users/{BenchUsers.Name((int)(seq % _users))}/events"), content).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                accepted = true;
                Interlocked.Increment(ref _accepted);
            }
            else
            {
                Interlocked.Increment(ref _failed);
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            Interlocked.Increment(ref _failed);
        }
        if (Volatile.Read(ref _answers) is { } answers && (ulong)(seq - _answersFrom) < (ulong)answers.Length)
        {
            answers[seq - _answersFrom] = accepted ? Accepted202 : NotAccepted;
            var took = Stopwatch.GetTimestamp() - started;
            for (var slowest = Interlocked.Read(ref _slowestAnswerTicks); took > slowest; slowest = Interlocked.Read(ref _slowestAnswerTicks))
            {
                if (Interlocked.CompareExchange(ref _slowestAnswerTicks, took, slowest) == slowest)
                {
                    break;
                }
            }
        }
    }

    private static int Write(Span<byte> body, long seq, long timestamp)
    {
        var at = 0;
        "{\"type\":\"bench\",\"seq\":"u8.CopyTo(body);
        at += 22;
        Utf8Formatter.TryFormat(seq, body[at..], out var written);
        at += written;
        ",\"t\":"u8.CopyTo(body[at..]);
        at += 5;
        Utf8Formatter.TryFormat(timestamp, body[at..], out written);
        at += written;
        body[at++] = (byte)'}';
        return at;
    }

    public void Dispose() => _http.Dispose();
}
