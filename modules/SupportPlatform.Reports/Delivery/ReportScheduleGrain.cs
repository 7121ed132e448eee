using Microsoft.Extensions.Logging;
using NodaTime;
using SupportPlatform.Reports.Contracts;
using SupportPlatform.Reports.Data;
using SupportPlatform.Reports.Domain;
using SupportPlatform.Scheduling.Contracts;

namespace SupportPlatform.Reports.Delivery;

/// <summary>
/// Keeps an account's next weekly and monthly sends as durable deadlines of the scheduling module (ids
/// <c>reports/{account}/weekly|monthly</c>, payload: the period to send). When one fires it sends that period through
/// <see cref="ReportSender"/> (idempotent per period, so a deadline delivered twice, or after a crash between the send and
/// the re-schedule, sends once) and schedules the next one. Weekly: last week's report on the chosen local weekday and
/// hour. Monthly: last month's report on the first business day of the month (the local date on which the account's
/// business calendar first opens), at the chosen hour.
/// </summary>
internal sealed class ReportScheduleGrain(
    ReportStore store,
    ReportBuilder builder,
    ReportSender sender,
    IDeadlineScheduler scheduler,
    TimeProvider clock,
    ILogger<ReportScheduleGrain> logger) : Grain, IReportScheduleGrain
{
    private string AccountId => this.GetPrimaryKeyString()["rs-".Length..];

    public async Task Reschedule()
    {
        var now = clock.GetUtcNow();
        var settings = await store.SettingsAsync(AccountId, CancellationToken.None);
        var schedule = new List<DeadlineRequest>();
        var cancel = new List<string>();
        var account = await builder.AccountAsync(AccountId);
        if (settings.WeeklyEnabled)
        {
            var (due, period) = NextWeekly(settings, account.TimeZone, now);
            schedule.Add(new DeadlineRequest(Id("weekly"), due, this.GetGrainId(), "report.weekly", period));
        }
        else
        {
            cancel.Add(Id("weekly"));
        }

        if (settings.MonthlyEnabled)
        {
            var (due, period) = NextMonthly(settings, account.TimeZone, account.Contract.Calendar, now);
            schedule.Add(new DeadlineRequest(Id("monthly"), due, this.GetGrainId(), "report.monthly", period));
        }
        else
        {
            cancel.Add(Id("monthly"));
        }

        if (schedule.Count > 0)
        {
            await scheduler.ScheduleAsync(schedule);
        }

        if (cancel.Count > 0)
        {
            await scheduler.CancelAsync(cancel);
        }
    }

    public async Task OnDeadline(DeadlineFired fired)
    {
        var kind = fired.Kind == "report.weekly" ? "weekly" : "monthly";
        try
        {
            var (_, already) = await sender.SendAsync(AccountId, kind, fired.Payload, "schedule", "schedule", CancellationToken.None);
            logger.LogInformation("Scheduled {Kind} report {Period} of {Account}: {Outcome}.", kind, fired.Payload, AccountId, already ? "already sent" : "sent");
        }
        catch (Exception ex) when (ex is ReportException or Documents.ReportTemplateException)
        {
            // Not retried: a broken template or missing recipients needs a person. Staff see it in the log and send by hand.
            logger.LogError(ex, "The scheduled {Kind} report {Period} of account {Account} was not sent: {Reason}", kind, fired.Payload, AccountId, ex.Message);
        }

        await Reschedule();
    }

    private string Id(string kind) => $"reports/{AccountId}/{kind}";

    internal static (DateTimeOffset Due, string Period) NextWeekly(ReportSettings settings, string timeZone, DateTimeOffset now)
    {
        var zone = ReportPeriod.Zone(timeZone);
        var today = Instant.FromDateTimeOffset(now).InZone(zone).Date;
        var target = settings.WeeklyDay == DayOfWeek.Sunday ? IsoDayOfWeek.Sunday : (IsoDayOfWeek)(int)settings.WeeklyDay;
        for (var day = today; ; day = day.PlusDays(1))
        {
            if (day.DayOfWeek != target)
            {
                continue;
            }

            var due = zone.AtLeniently(day.At(new LocalTime(settings.WeeklyHour, 0))).ToDateTimeOffset().ToUniversalTime();
            if (due > now)
            {
                return (due, ReportPeriod.Week(day.PlusDays(-7), timeZone).Label);
            }
        }
    }

    internal static (DateTimeOffset Due, string Period) NextMonthly(ReportSettings settings, string timeZone, Sla.Contracts.BusinessCalendar calendar, DateTimeOffset now)
    {
        var zone = ReportPeriod.Zone(timeZone);
        var month = Instant.FromDateTimeOffset(now).InZone(zone).Date;
        month = new LocalDate(month.Year, month.Month, 1);
        while (true)
        {
            var opens = calendar.NextOpening(ReportPeriod.Start(zone, month));
            var day = Instant.FromDateTimeOffset(opens).InZone(zone).Date;
            var due = zone.AtLeniently(day.At(new LocalTime(settings.MonthlyHour, 0))).ToDateTimeOffset().ToUniversalTime();
            if (due > now)
            {
                var previous = month.PlusMonths(-1);
                return (due, ReportPeriod.Month(previous.Year, previous.Month, timeZone).Label);
            }

            month = month.PlusMonths(1);
        }
    }
}
