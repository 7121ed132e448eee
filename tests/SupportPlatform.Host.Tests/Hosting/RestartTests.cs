using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Operations.Contracts;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;

namespace SupportPlatform.Host.Tests.Hosting;

/// <summary>Grain state, reminders and the relational read model survive a restart of the host, on both back-ends.</summary>
public sealed class RestartTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.PostgreSql)]
    public async Task Restart_AfterWrites_StateRemindersAndReadModelKept(DatabaseProvider provider)
    {
        using var data = new TempDirectory();
        var postgres = provider == DatabaseProvider.PostgreSql ? await PostgresServer.Shared.CreateDatabaseAsync("restart") : null;

        string token;
        await using (var first = new PlatformFactory(data.Path, postgres))
        {
            token = await first.Users.StaffTokenAsync("admin");
            var client = first.CreateClient(token);
            var run = await (await client.PostAsync("/api/system/housekeeping/run", null)).Content.ReadFromJsonAsync<HousekeepingStatus>();
            Assert.Equal(1, run!.Runs);
            Assert.Contains(run.LastOutcomes, o => o is { Task: "expired idempotency keys", Succeeded: true });

            var claim = await first.Services.GetRequiredService<IIdempotencyStore>()
                .TryClaimAsync("restart-test", "key-1", "hash-1", TimeSpan.FromDays(1));
            Assert.True(claim.Claimed);
            await first.Services.GetRequiredService<IIdempotencyStore>().CompleteAsync("restart-test", "key-1", "{\"ticket\":42}");
            Assert.Single(await ReadReminders(first));
        }

        await using var second = new PlatformFactory(data.Path, postgres);
        var status = await second.CreateClient(token).GetFromJsonAsync<HousekeepingStatus>("/api/system/housekeeping");
        Assert.Equal(1, status!.Runs);
        Assert.True(status.Scheduled);

        var again = await second.Services.GetRequiredService<IIdempotencyStore>()
            .TryClaimAsync("restart-test", "key-1", "hash-1", TimeSpan.FromDays(1));
        Assert.False(again.Claimed);
        Assert.Equal("{\"ticket\":42}", again.Response);

        var reminder = Assert.Single(await ReadReminders(second));
        Assert.Equal(IHousekeepingGrain.Period, reminder.Period);
    }

    private static async Task<IReadOnlyList<ReminderEntry>> ReadReminders(PlatformFactory factory)
    {
        var grainId = factory.Services.GetRequiredService<IGrainFactory>().GetGrain<IHousekeepingGrain>(IHousekeepingGrain.Key).GetGrainId();
        var table = factory.Services.GetRequiredService<IReminderTable>();
        return [.. (await table.ReadRows(grainId)).Reminders];
    }
}
