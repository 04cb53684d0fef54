namespace OrleansSync.Bench.Wire;

/// <summary>What a client sends back for one received message, built in a per-client buffer that grows and is reused.</summary>
public sealed class ReplyBuffer
{
    private byte[] _bytes = new byte[128];

    public int Length { get; private set; }

    public ReadOnlyMemory<byte> Written => _bytes.AsMemory(0, Length);

    public void Clear() => Length = 0;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (Length + bytes.Length > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, Length + bytes.Length));
        }
        bytes.CopyTo(_bytes.AsSpan(Length));
        Length += bytes.Length;
    }
}
