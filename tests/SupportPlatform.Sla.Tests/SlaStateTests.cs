using SupportPlatform.Core;
using SupportPlatform.Sla.Contracts;
using static SupportPlatform.Sla.Tests.Calendars;

namespace SupportPlatform.Sla.Tests;

/// <summary>
/// A ticket's clocks driven by its events under the reference policy, on a London Monday-to-Friday 09:00–17:00
/// calendar in March 2026 (GMT, so local = UTC). Monday is 2 March.
/// </summary>
public sealed class SlaStateTests
{
    private static readonly BusinessCalendar London = NineToFive("Europe/London");

    private static SlaState Created(Priority priority = Priority.Normal, string at = "2026-03-02T09:00Z") =>
        SlaState.Create(At(at), priority, SlaPolicy.Reference);

    private static SlaDeadline D(SlaClockKind clock, SlaDeadlineKind kind, string at) => new(clock, kind, At(at));

    [Fact]
    public void Deadlines_NewNormalTicket_WarningsAndBreachesOfFirstResponseAndResolution()
    {
        Assert.Equal(
            [
                D(SlaClockKind.FirstResponse, SlaDeadlineKind.Warning, "2026-03-02T12:00Z"), // 3 h = 75% of 4 h
                D(SlaClockKind.FirstResponse, SlaDeadlineKind.Breach, "2026-03-02T13:00Z"),
                D(SlaClockKind.Resolution, SlaDeadlineKind.Warning, "2026-03-05T15:00Z"), // 30 business hours
                D(SlaClockKind.Resolution, SlaDeadlineKind.Breach, "2026-03-06T17:00Z"), // 40 business hours
            ],
            Created().Deadlines(London));
    }

    [Fact]
    public void Deadlines_CriticalTicketOnFridayNight_RunAroundTheClock()
    {
        var deadlines = Created(Priority.Critical, "2026-03-06T23:00Z").Deadlines(London);

        Assert.Contains(D(SlaClockKind.FirstResponse, SlaDeadlineKind.Breach, "2026-03-07T00:00Z"), deadlines);
        Assert.Contains(D(SlaClockKind.Resolution, SlaDeadlineKind.Breach, "2026-03-07T03:00Z"), deadlines);
    }

    [Fact]
    public void RecordStaffResponse_FirstReply_MeetsFirstResponseOnly()
    {
        var state = Created().RecordStaffResponse(At("2026-03-02T10:00Z"), London);

        Assert.Equal(SlaClockStatus.Met, state.FirstResponse.Status);
        Assert.Equal(SlaClockStatus.Idle, state.NextResponse.Status);
        Assert.Equal(SlaClockStatus.Running, state.Resolution.Status);
        Assert.All(state.Deadlines(London), d => Assert.Equal(SlaClockKind.Resolution, d.Clock));
    }

    [Fact]
    public void RecordClientReply_AfterFirstResponse_OwesANextResponse()
    {
        var state = Created().RecordStaffResponse(At("2026-03-02T10:00Z"), London).RecordClientReply(At("2026-03-03T09:00Z"), London);

        Assert.Contains(D(SlaClockKind.NextResponse, SlaDeadlineKind.Warning, "2026-03-03T15:00Z"), state.Deadlines(London));
        Assert.Contains(D(SlaClockKind.NextResponse, SlaDeadlineKind.Breach, "2026-03-03T17:00Z"), state.Deadlines(London));
    }

    [Fact]
    public void RecordClientReply_SecondReplyBeforeAnswer_KeepsTheEarlierStart()
    {
        var once = Created().RecordStaffResponse(At("2026-03-02T10:00Z"), London).RecordClientReply(At("2026-03-03T09:00Z"), London);
        var twice = once.RecordClientReply(At("2026-03-03T12:00Z"), London);

        Assert.Equal(once.NextResponse.DueAt(London), twice.NextResponse.DueAt(London));
    }

    [Fact]
    public void RecordClientReply_BeforeFirstResponse_StartsNoNextResponse()
    {
        var state = Created().RecordClientReply(At("2026-03-02T10:00Z"), London);

        Assert.Equal(SlaClockStatus.Idle, state.NextResponse.Status);
    }

    [Fact]
    public void RecordStaffResponse_AfterClientReply_MeetsTheNextResponse()
    {
        var state = Created().RecordStaffResponse(At("2026-03-02T10:00Z"), London)
            .RecordClientReply(At("2026-03-03T09:00Z"), London)
            .RecordStaffResponse(At("2026-03-03T09:30Z"), London);

        Assert.Equal(SlaClockStatus.Met, state.NextResponse.Status);
        Assert.Equal(At("2026-03-02T10:00Z"), state.FirstResponse.StoppedAt);
    }

    [Fact]
    public void ChangeStatus_PendingClientOvernight_PausesAndResumesWithTheRemainingBudget()
    {
        var paused = Created().ChangeStatus(At("2026-03-02T10:00Z"), SlaTicketStatus.PendingClient, London);
        Assert.Empty(paused.Deadlines(London));

        var resumed = paused.ChangeStatus(At("2026-03-04T09:00Z"), SlaTicketStatus.Active, London);

        // First response: 1 h used on Monday, 3 h left from Wednesday 09:00.
        Assert.Contains(D(SlaClockKind.FirstResponse, SlaDeadlineKind.Breach, "2026-03-04T12:00Z"), resumed.Deadlines(London));
    }

    [Fact]
    public void ChangeStatus_PendingVendorUnderReferencePolicy_KeepsClocksRunning()
    {
        var state = Created().ChangeStatus(At("2026-03-02T10:00Z"), SlaTicketStatus.PendingVendor, London);

        Assert.Equal(SlaClockStatus.Running, state.FirstResponse.Status);
        Assert.Equal(Created().Deadlines(London), state.Deadlines(London));
    }

    [Fact]
    public void ChangeStatus_PendingVendorWhenPolicyPausesForVendors_PausesClocks()
    {
        var state = SlaState.Create(At("2026-03-02T09:00Z"), Priority.Normal, SlaPolicy.Reference with { PendingVendorPausesClocks = true })
            .ChangeStatus(At("2026-03-02T10:00Z"), SlaTicketStatus.PendingVendor, London);

        Assert.Equal(SlaClockStatus.Paused, state.FirstResponse.Status);
        Assert.Empty(state.Deadlines(London));
    }

    [Fact]
    public void ChangePolicy_ToVendorPausingWhilePendingVendor_PausesClocks()
    {
        var state = Created().ChangeStatus(At("2026-03-02T10:00Z"), SlaTicketStatus.PendingVendor, London)
            .ChangePolicy(At("2026-03-02T11:00Z"), SlaPolicy.Reference with { PendingVendorPausesClocks = true }, London);

        Assert.Equal(SlaClockStatus.Paused, state.Resolution.Status);
        Assert.Equal(TimeSpan.FromHours(2), state.Resolution.Consumed);
    }

    [Fact]
    public void Resolve_OpenTicket_MeetsResolutionCancelsResponsesAndClearsDeadlines()
    {
        var state = Created().Resolve(At("2026-03-02T11:00Z"), London);

        Assert.Equal(SlaClockStatus.Met, state.Resolution.Status);
        Assert.Equal(SlaClockStatus.Cancelled, state.FirstResponse.Status);
        Assert.Null(state.FirstResponse.MetAt);
        Assert.Empty(state.Deadlines(London));
    }

    [Fact]
    public void Withdraw_MergedTicket_CancelsEveryClockKeepsBreachesAndClearsDeadlines()
    {
        var high = Created(Priority.High); // first response 2 h
        var state = high.Observe(At("2026-03-02T11:05Z"), London).Withdraw(At("2026-03-02T12:00Z"), London);

        Assert.Equal([SlaClockStatus.Cancelled, SlaClockStatus.Cancelled], [state.FirstResponse.Status, state.Resolution.Status]);
        Assert.False(state.NextResponse.IsActive);
        Assert.Null(state.Resolution.MetAt);
        Assert.Contains(state.Breaches, b => b.Clock == SlaClockKind.FirstResponse);
        Assert.Empty(state.Deadlines(London));
    }

    [Fact]
    public void Reopen_AfterBreach_KeepsTheBreachAndContinuesResolution()
    {
        var high = Created(Priority.High); // first response 2 h, resolution 16 h
        var observed = high.Observe(At("2026-03-02T11:05Z"), London);
        var reopened = observed.RecordStaffResponse(At("2026-03-02T11:30Z"), London)
            .Resolve(At("2026-03-02T12:00Z"), London)
            .Reopen(At("2026-03-03T09:00Z"), London);

        var breach = Assert.Single(reopened.Breaches);
        Assert.Equal(new SlaBreach(SlaClockKind.FirstResponse, At("2026-03-02T09:00Z"), At("2026-03-02T11:00Z"), Priority.High, TimeSpan.FromHours(2)), breach);
        Assert.Equal(SlaClockStatus.Running, reopened.Resolution.Status);
        Assert.Equal(At("2026-03-04T14:00Z"), reopened.Resolution.DueAt(London)); // 3 h used, 13 h left: Tuesday 8 h, Wednesday 5 h
    }

    [Fact]
    public void Observe_LongAfterDue_RecordsWarningAndBreachAtTheirDueInstants()
    {
        var before = Created();
        var after = before.Observe(At("2026-03-02T16:00Z"), London);

        Assert.Equal(
            [D(SlaClockKind.FirstResponse, SlaDeadlineKind.Warning, "2026-03-02T12:00Z"), D(SlaClockKind.FirstResponse, SlaDeadlineKind.Breach, "2026-03-02T13:00Z")],
            after.NewlyReached(before));
        Assert.DoesNotContain(after.Deadlines(London), d => d.Clock == SlaClockKind.FirstResponse);
        Assert.Empty(after.Observe(At("2026-03-02T16:30Z"), London).NewlyReached(after));
    }

    [Fact]
    public void RecordStaffResponse_LateWithoutObserve_StillRecordsTheBreach()
    {
        var state = Created().RecordStaffResponse(At("2026-03-02T14:00Z"), London);

        Assert.Equal(At("2026-03-02T13:00Z"), Assert.Single(state.Breaches).At);
    }

    [Fact]
    public void Deadlines_ObservedBeforeTheWarning_AreUnchanged()
    {
        var state = Created();

        Assert.Equal(state.Deadlines(London), state.Observe(At("2026-03-02T11:59Z"), London).Deadlines(London));
    }

    [Fact]
    public void ChangePriority_NormalToHighMidTicket_RebasesKeepingTheTimeUsed()
    {
        var state = Created().ChangePriority(At("2026-03-02T10:00Z"), Priority.High, London);

        Assert.Equal(
            [
                D(SlaClockKind.FirstResponse, SlaDeadlineKind.Warning, "2026-03-02T10:30Z"),
                D(SlaClockKind.FirstResponse, SlaDeadlineKind.Breach, "2026-03-02T11:00Z"),
                D(SlaClockKind.Resolution, SlaDeadlineKind.Warning, "2026-03-03T13:00Z"), // 12 h of 16 h, 1 h used
                D(SlaClockKind.Resolution, SlaDeadlineKind.Breach, "2026-03-03T17:00Z"),
            ],
            state.Deadlines(London));
    }

    [Fact]
    public void ChangePriority_ToCriticalAfterItsTargetIsUsed_BreachesAtOnceAndRunsAroundTheClock()
    {
        var before = Created();
        var state = before.ChangePriority(At("2026-03-02T16:00Z"), Priority.Critical, London);

        // The Normal first-response target (4 h) ran out at 13:00, before the change, and is recorded under Normal;
        // resolution had used 7 h of Critical's 4 h, so it breaches at the change, under Critical.
        Assert.Equal<SlaBreach>(
            [
                new SlaBreach(SlaClockKind.FirstResponse, At("2026-03-02T09:00Z"), At("2026-03-02T13:00Z"), Priority.Normal, TimeSpan.FromHours(4)),
                new SlaBreach(SlaClockKind.Resolution, At("2026-03-02T09:00Z"), At("2026-03-02T16:00Z"), Priority.Critical, TimeSpan.FromHours(4)),
            ],
            state.Breaches.AsEnumerable()); // ImmutableArray's own equality compares array references, not items
        Assert.True(state.Resolution.RunsAroundTheClock);
        Assert.Equal(2, state.NewlyReached(before).Count(d => d.Kind == SlaDeadlineKind.Breach));
    }

    [Fact]
    public void ChangePolicy_LongerTargetsMidTicket_MovesDeadlinesLater()
    {
        var generous = SlaPolicy.Reference with
        {
            Name = "Generous",
            Targets = [.. SlaPolicy.Reference.Targets.Select(t => t with { FirstResponseMinutes = t.FirstResponseMinutes * 2 })],
        };

        var state = Created().ChangePolicy(At("2026-03-02T10:00Z"), generous, London);

        Assert.Equal("Generous", state.Policy.Name);
        Assert.Contains(D(SlaClockKind.FirstResponse, SlaDeadlineKind.Breach, "2026-03-02T17:00Z"), state.Deadlines(London));
    }

    [Fact]
    public void RecordClientReply_OnResolvedTicket_IsIgnoredUntilReopened()
    {
        var resolved = Created().RecordStaffResponse(At("2026-03-02T10:00Z"), London).Resolve(At("2026-03-02T11:00Z"), London);

        Assert.Equal(SlaClockStatus.Idle, resolved.RecordClientReply(At("2026-03-03T09:00Z"), London).NextResponse.Status);
        Assert.Equal(SlaClockStatus.Running,
            resolved.Reopen(At("2026-03-03T09:00Z"), London).RecordClientReply(At("2026-03-03T09:00Z"), London).NextResponse.Status);
    }

    [Fact]
    public void ChangeCalendar_MidTicket_KeepsTimeMeasuredOnTheOldCalendar()
    {
        var extended = BusinessCalendar.Weekdays("Europe/London", new(8, 0), new(20, 0));

        // 09:00–10:00 on the old calendar (1 h); from 10:00 the new one: 3 h left of first response → 13:00.
        var state = Created().ChangeCalendar(At("2026-03-02T10:00Z"), London);

        Assert.Equal(TimeSpan.FromHours(1), state.FirstResponse.Consumed);
        Assert.Equal(At("2026-03-02T13:00Z"), state.FirstResponse.DueAt(extended));
    }
}
