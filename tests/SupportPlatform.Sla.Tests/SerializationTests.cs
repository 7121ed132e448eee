using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using SupportPlatform.Core;
using SupportPlatform.Sla.Contracts;
using static SupportPlatform.Sla.Tests.Calendars;

namespace SupportPlatform.Sla.Tests;

/// <summary>The contracts live in grain state: they must survive Orleans' serializer whole.</summary>
public sealed class SerializationTests
{
    private static readonly Serializer Serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    [Fact]
    public void RoundTrip_CalendarWithOvernightIntervalAndHolidays_IsEqualAndComputesTheSame()
    {
        var calendar = new BusinessCalendar("Australia/Lord_Howe",
            [new(DayOfWeek.Friday, Time("22:00"), Time("06:00")), OpeningInterval.AllDay(DayOfWeek.Sunday), new(DayOfWeek.Monday, Time("09:30"), Time("17:15"))],
            [new Holiday(new(2026, 12, 25), "Christmas Day")]);

        var copy = Serializer.Deserialize<BusinessCalendar>(Serializer.SerializeToArray(calendar))!;

        Assert.Equal(calendar, copy);
        Assert.Equal(calendar.AddBusinessTime(At("2026-10-02T00:00Z"), TimeSpan.FromHours(30)), copy.AddBusinessTime(At("2026-10-02T00:00Z"), TimeSpan.FromHours(30)));
    }

    [Fact]
    public void RoundTrip_TicketStateWithBreachAndPausedClocks_IsEqual()
    {
        var london = NineToFive("Europe/London");
        var state = SlaState.Create(At("2026-03-02T09:00Z"), Priority.High, SlaPolicy.Reference with { PendingVendorPausesClocks = true })
            .Observe(At("2026-03-02T11:30Z"), london)
            .RecordStaffResponse(At("2026-03-02T11:45Z"), london)
            .RecordClientReply(At("2026-03-02T12:00Z"), london)
            .ChangeStatus(At("2026-03-02T13:00Z"), SlaTicketStatus.PendingVendor, london);

        var copy = Serializer.Deserialize<SlaState>(Serializer.SerializeToArray(state))!;

        Assert.Equal(state, copy);
        Assert.Single(copy.Breaches);
        Assert.Equal(SlaClockStatus.Paused, copy.NextResponse.Status);
    }
}
