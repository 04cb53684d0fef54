using Microsoft.Extensions.Logging;
using OrleansSync.Gateway.Hosting;
using OrleansSync.Silo;

try
{
    string? inlineIo = null;
    // Node:InlineIo's process-wide part goes in before the host exists: the runtime reads it at the first socket.
    await using var app = await SiloApp.StartAsync(args, builder => inlineIo = InlineIo.ApplyToProcess(builder.Configuration));
    app.Logger.LogInformation("Idle thread-pool workers spin: {Source}.", IdleWorkerSpin.Describe());
    if (inlineIo is not null)
    {
        app.Logger.LogInformation("Inline I/O ({Setting}): {Applied}.", InlineIo.Setting, inlineIo);
    }
    await app.WaitForShutdownAsync();
    return 0;
}
catch (InvalidOperationException exception) when (exception.Message.StartsWith("Refusing to start", StringComparison.Ordinal)
                                                  || exception.Message.Contains("Store:Provider", StringComparison.Ordinal))
{
    Console.Error.WriteLine(exception.Message);
    return 1;
}
