namespace OrleansSync.Bench.Wire;

/// <summary>
/// A bench event read from a message: its seq, the Stopwatch timestamp its publish was due, and a 64-bit hash of its
/// <c>event_id</c> (a tab dedupes by the id; the same seq under another id would be one publish applied twice).
/// </summary>
public readonly record struct ReceivedEvent(long Seq, long SentTimestamp, long EventIdHash);
