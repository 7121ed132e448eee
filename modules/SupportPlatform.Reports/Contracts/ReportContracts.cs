using SupportPlatform.Scheduling.Contracts;

namespace SupportPlatform.Reports.Contracts;

/// <summary>The report schedule of one account (key: <c>rs-{account id}</c>).</summary>
[Alias("sp.reports.schedule")]
public interface IReportScheduleGrain : IGrainWithStringKey, IDeadlineTarget
{
    /// <summary>Re-reads the account's report settings and (re)schedules or cancels its weekly and monthly sends.</summary>
    [Alias("reschedule")]
    Task Reschedule();
}
