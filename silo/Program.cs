using OrleansSync.Silo;

try
{
    var app = await SiloApp.BuildAsync(args);
    await app.RunAsync();
    return 0;
}
catch (InvalidOperationException exception) when (exception.Message.StartsWith("Refusing to start", StringComparison.Ordinal)
                                                  || exception.Message.Contains("Store:Provider", StringComparison.Ordinal))
{
    Console.Error.WriteLine(exception.Message);
    return 1;
}
