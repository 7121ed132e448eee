using System.Net.Http.Json;
using System.Text.Json;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Tickets.Tests;

/// <summary>SLA deadlines of a ticket survive a kill -9 of the host: after a restart they fire at their due time.</summary>
public sealed class CrashRecoveryTests
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task HostKilled_PendingBreach_FiresOnTimeAfterRestart()
    {
        using var data = new TempDirectory("sp-crash-");
        var environment = HostProcess.Environment(data.Path);
        var first = HostProcess.Start(environment);
        TicketView ticket;
        string token;
        try
        {
            await first.WaitReadyAsync(Start);
            token = await first.Users.StaffTokenAsync("senior", "alice", "Alice Agent");
            using var client = Client(first, token);
            await DefineFastAccount(client);
            ticket = await client.NewTicket("Core switch down", "critical", "fast");
        }
        finally
        {
            // kill -9: no graceful shutdown, nothing flushed that was not already committed.
            first.Kill();
            await first.DisposeAsync();
        }

        // Same data folder, fresh ports: a new process that knows only what the database holds.
        environment = HostProcess.Environment(data.Path);
        await using var second = HostProcess.Start(environment);
        await second.WaitReadyAsync(Start);
        using var after = Client(second, token);

        var dueAt = ticket.CreatedAt.AddMinutes(1);
        var deadline = DateTimeOffset.UtcNow.Add(TimeSpan.FromSeconds(90));
        SlaBreached? breach = null;
        while (breach is null && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(250);
            var history = await (await after.GetAsync($"/api/tickets/{ticket.Id}/history")).Read<List<TicketHistoryEntry>>();
            breach = history.Select(h => h.Event).OfType<SlaBreached>().FirstOrDefault(b => b.Clock == "first-response");
            if (breach is not null)
            {
                Assert.Contains(history, h => h.Event is SlaWarned { Clock: "first-response" });
            }
        }

        Assert.NotNull(breach);
        Assert.Equal(dueAt, breach.DueAt);
        Assert.InRange((breach.At - dueAt).TotalSeconds, 0, 1.5);
    }

    private static HttpClient Client(HostProcess host, string token)
    {
        var client = new HttpClient { BaseAddress = host.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>An account whose contract owes a first response within one minute around the clock, so the test is short.</summary>
    private static async Task DefineFastAccount(HttpClient client)
    {
        var targets = new[] { "critical", "high", "normal", "low" }.Select(p => new
        {
            priority = p, firstResponseMinutes = 1, nextResponseMinutes = 1, resolutionMinutes = 5, runsAroundTheClock = true,
        });
        var response = await client.PutAsJsonAsync("/api/accounts/fast", new
        {
            name = "Fast Ltd",
            timeZone = "Europe/London",
            contract = new
            {
                slaPolicy = new { name = "One minute", targets },
                calendar = new { timeZoneId = "Europe/London", openingHours = new[] { new { day = "monday", start = "09:00:00", end = "17:00:00" } }, holidays = Array.Empty<object>() },
            },
        }, TicketsFixture.Json);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        using var account = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("One minute", account.RootElement.GetProperty("contract").GetProperty("slaPolicy").GetProperty("name").GetString());
    }
}
