using System.Data.Common;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SupportPlatform.Core;
using SupportPlatform.Sdk.Telephony;
using SupportPlatform.Testing.Host;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Phone.Tests;

/// <summary>
/// A call event is stored but its follow-up (ticket, note, count) fails: the adapter is told so, and the
/// <c>phone.pending-calls</c> housekeeping task finishes the call later, once, even if the adapter never retries.
/// </summary>
public sealed class PendingCallTests : IAsyncLifetime
{
    private readonly FailingTickets failing = new();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 12, 15, 10, 0, 0, TimeSpan.Zero));
    private PlatformFactory factory = null!;
    private HttpClient staff = null!;

    public async Task InitializeAsync()
    {
        factory = new PlatformFactory(clock: clock, services: s => s.AddSingleton<ITicketCommitParticipant>(failing));
        staff = await factory.CreateStaffClientAsync("senior", "alice", "Alice Agent");
        await PhoneFixture.Ok(await staff.PutAsJsonAsync("/api/phone/agents/alice", new { number = PhoneFixture.AliceNumber, onDuty = true }));
        await PhoneFixture.Ok(await staff.PutAsJsonAsync("/api/accounts/resume", new { name = "Resume Ltd", timeZone = "Europe/London" }));
        var account = JsonNode.Parse(await staff.GetStringAsync("/api/accounts/resume"))!;
        account["contract"]!["phone"]!["callers"] = new JsonArray(new JsonObject { ["number"] = "+441632960077", ["contactId"] = "resume-contact" });
        await PhoneFixture.Ok(await staff.PutAsJsonAsync("/api/accounts/resume", new { name = "Resume Ltd", timeZone = "Europe/London", contract = account["contract"] }));
    }

    public Task DisposeAsync()
    {
        factory.Dispose();
        return Task.CompletedTask;
    }

    private static CallEvent Event(CallEventKind kind, string eventId, int minute) =>
        new("twilio", "CA-resume", kind, eventId, new DateTimeOffset(2026, 12, 15, 10, minute, 0, TimeSpan.Zero)) { From = "+441632960077", To = "+442079460100" };

    private async Task<int> UsedAsync() => (int)JsonNode.Parse(await staff.GetStringAsync("/api/accounts/resume/allowance"))!["usedMinutes"]!;

    [Fact]
    public async Task FollowUpFails_EventKept_HousekeepingFinishesTheCallOnce()
    {
        var telephony = factory.Services.GetRequiredService<ITelephonyService>();
        var task = factory.Services.GetServices<IHousekeepingTask>().Single(t => t.Name == "phone.pending-calls");
        await telephony.ReportAsync(Event(CallEventKind.Started, "voice", 0), CancellationToken.None);
        await telephony.ReportAsync(Event(CallEventKind.Answered, "answered", 0) with { AgentNumber = PhoneFixture.AliceNumber }, CancellationToken.None);

        failing.Fail = true;
        await Assert.ThrowsAnyAsync<Exception>(() => telephony.ReportAsync(
            Event(CallEventKind.Connected, "dial-action", 5) with { AgentNumber = PhoneFixture.AliceNumber, TalkDuration = TimeSpan.FromSeconds(300) }, CancellationToken.None));
        failing.Fail = false;

        var stored = JsonNode.Parse(await staff.GetStringAsync("/api/phone/calls/twilio:CA-resume"))!;
        Assert.Equal(300L, (long)stored["talkSeconds"]!);
        Assert.Null(stored["ticketId"]);
        Assert.Equal(0, await UsedAsync());

        // Too fresh for the task (an adapter's own retry may still be on its way), then picked up.
        Assert.Equal("no call waiting", await task.RunAsync(CancellationToken.None));
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal("1 call(s) completed, 0 still failing", await task.RunAsync(CancellationToken.None));

        var call = JsonNode.Parse(await staff.GetStringAsync("/api/phone/calls/twilio:CA-resume"))!;
        Assert.NotNull(call["ticketId"]);
        Assert.Equal(6, (int)call["countedMinutes"]!);
        Assert.Equal(6, await UsedAsync());

        // Nothing left; the adapter's late retry of the same event counts nothing twice.
        Assert.Equal("no call waiting", await task.RunAsync(CancellationToken.None));
        var retry = await telephony.ReportAsync(
            Event(CallEventKind.Connected, "dial-action", 5) with { AgentNumber = PhoneFixture.AliceNumber, TalkDuration = TimeSpan.FromSeconds(300) }, CancellationToken.None);
        Assert.True(retry.Duplicate);
        Assert.Equal(6, await UsedAsync());
    }

    /// <summary>Makes every ticket commit fail while <see cref="Fail"/> is set (a database outage, as the tickets module sees it).</summary>
    private sealed class FailingTickets : ITicketCommitParticipant
    {
        public volatile bool Fail;

        public Task OnCommittingAsync(TicketChange change, DbTransaction transaction, CancellationToken cancellationToken) =>
            Fail ? throw new InvalidOperationException("simulated outage while the call's ticket is written") : Task.CompletedTask;
    }
}
