using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;
using SupportPlatform.Core;
using SupportPlatform.Operations.Contracts;

namespace SupportPlatform.Host.Tests.Grains;

/// <summary>The housekeeping schedule on a fake clock: a reminder runs every task once per period and keeps outcomes.</summary>
public sealed class HousekeepingGrainTests
{
    private sealed class CountingTask : IHousekeepingTask
    {
        public int Runs;

        public string Name => "counting";

        public Task<string> RunAsync(CancellationToken cancellationToken) => Task.FromResult($"run {Interlocked.Increment(ref Runs)}");
    }

    private sealed class FailingTask : IHousekeepingTask
    {
        public string Name => "failing";

        public Task<string> RunAsync(CancellationToken cancellationToken) => throw new InvalidOperationException("disk full");
    }

    [Fact]
    public async Task Reminder_ClockPassesTwoPeriods_RunsEveryTaskEachPeriod()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero));
        var counting = new CountingTask();
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Services.AddSingleton<TimeProvider>(clock);
            host.Services.AddSingleton<IHousekeepingTask>(counting);
            host.Services.AddSingleton<IHousekeepingTask, FailingTask>();
        });
        builder.ConfigureSilo((_, silo) => silo.AddMemoryGrainStorage(PlatformNames.GrainStorage).UseInMemoryReminderService());
        await using var cluster = builder.Build();
        await cluster.DeployAsync();

        var grain = cluster.Client.GetGrain<IHousekeepingGrain>(IHousekeepingGrain.Key);
        await grain.EnsureScheduled();
        Assert.Equal(0, counting.Runs);

        for (var period = 1; period <= 2; period++)
        {
            // Step in minutes, not one jump: one jump gives one tick, and callbacks are queued asynchronously.
            for (var minute = 0; minute < 60; minute++)
            {
                clock.Advance(TimeSpan.FromMinutes(1));
                await Task.Delay(5);
            }

            await WaitUntil(async () => (await grain.GetStatus()).Runs >= period);
        }

        var status = await grain.GetStatus();
        Assert.True(status.Scheduled);
        Assert.Equal(2, counting.Runs);
        Assert.Equal(2, status.Runs);
        Assert.Contains(status.LastOutcomes, o => o is { Task: "counting", Succeeded: true, Summary: "run 2" });
        Assert.Contains(status.LastOutcomes, o => o is { Task: "failing", Succeeded: false, Summary: "disk full" });
    }

    private static async Task WaitUntil(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(await condition(), "condition not reached within 10 s");
    }
}
