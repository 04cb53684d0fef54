using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Runtime;
using Orleans.TestingHost;
using OrleansSync.Tests.Infrastructure;
using OrleansSync.Tests.OrleansGrains;
using Xunit;

namespace OrleansSync.Tests.Grains;

/// <summary>
/// Orleans 10.4.2 grain timers run on the <see cref="TimeProvider"/> registered under the key
/// <see cref="TimeProviderNames.Grains"/>: a test can move a grain's timers with a manual clock while the silo's own
/// background loops (membership, directory) keep real time.
/// </summary>
public sealed class GrainTimerClockTests
{
    [Fact]
    public async Task A_grain_timer_fires_when_the_injected_clock_moves_not_when_real_time_passes()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow) { AutoAdvanceAmount = TimeSpan.Zero };
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) => silo.Services.AddKeyedSingleton<TimeProvider>(TimeProviderNames.Grains, clock));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        try
        {
            var grain = cluster.Client.GetGrain<ITimerProbeGrain>("probe");
            // Due in an hour: only the manual clock can make it fire within the test's patience.
            await grain.StartTimerAsync(TimeSpan.FromHours(1));
            Assert.Equal(0, await grain.GetFiredAsync());

            clock.Advance(TimeSpan.FromHours(1));
            await Eventually.TrueAsync(async () => await grain.GetFiredAsync() == 1, TimeSpan.FromSeconds(30), "the timer fires on the manual clock");

            clock.Advance(TimeSpan.FromHours(2));
            await Eventually.TrueAsync(async () => await grain.GetFiredAsync() >= 2, TimeSpan.FromSeconds(30), "the timer keeps its period on the manual clock");
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }
}
