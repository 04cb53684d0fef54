using Microsoft.Extensions.Options;

namespace OrleansSync.Tests.Infrastructure;

/// <summary>Options that never change, for grains and services built by hand in unit tests.</summary>
public sealed class FixedOptionsMonitor<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;
    public T Get(string? name) => value;
    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
