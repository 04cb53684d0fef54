namespace OrleansSync.Bench.Wire;

/// <summary>The open socket as a handshake sees it: whole text messages in and out.</summary>
public interface IMessageChannel
{
    ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken);

    /// <summary>The next whole message (valid until the next receive), or null when the server closed.</summary>
    ValueTask<ReadOnlyMemory<byte>?> ReceiveAsync(CancellationToken cancellationToken);

    /// <summary>Why the server closed, for error messages.</summary>
    string CloseDescription { get; }
}
