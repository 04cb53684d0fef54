namespace OrleansSync.Bench.Wire;

/// <summary>A bench event read from a message: its seq and the Stopwatch timestamp its publish was due.</summary>
public readonly record struct ReceivedEvent(long Seq, long SentTimestamp);
