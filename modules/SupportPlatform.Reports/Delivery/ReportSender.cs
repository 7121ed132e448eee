using Microsoft.Extensions.Logging;
using SupportPlatform.Core.Mail;
using SupportPlatform.Identity.Contracts;
using SupportPlatform.Reports.Data;
using SupportPlatform.Reports.Documents;
using SupportPlatform.Reports.Domain;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Reports.Delivery;

/// <summary>
/// Sends an account's report for one period to its stakeholders, at most once per account, kind and period. The report is
/// built and every template rendered first (a broken template stops here, with nothing stored or sent); then the run row
/// and one outbox message per recipient are written in one transaction. The run row's primary key decides: a second send
/// (by hand, by the schedule, after a restart, or on another node at the same moment) finds it and sends nothing.
/// </summary>
internal sealed class ReportSender(
    ReportBuilder builder,
    ReportDocuments documents,
    ReportStore store,
    IDatabase database,
    IUserDirectory users,
    IEnumerable<IOutboundMail> outbox,
    TimeProvider clock,
    ILogger<ReportSender> logger)
{
    public async Task<(ReportRun Run, bool AlreadySent)> SendAsync(string accountId, string kind, string label, string sentVia, string actor, CancellationToken ct)
    {
        var account = await builder.AccountAsync(accountId);
        var period = ReportPeriod.Parse(kind, label, account.TimeZone);
        if (await store.RunAsync(account.Id, period.KindName, period.Label, ct) is { } sent)
        {
            return (sent, true);
        }

        if (period.To > clock.GetUtcNow())
        {
            throw new ReportException(409, "period-not-over",
                $"The {period.KindName} report for {period.Label} can be sent once the period is over ({period.To.UtcDateTime:yyyy-MM-dd HH:mm} UTC); preview it until then.");
        }

        var recipients = await RecipientsAsync(account.Id, ct);
        var report = await builder.BuildAsync(account, period, ct);
        var mail = await documents.MailAsync(report, ct);
        var mailer = outbox.FirstOrDefault() ?? throw new ReportException(503, "no-outbox", "There is no mail outbox in this host (the email module is not loaded).");
        var run = new ReportRun(account.Id, period.KindName, period.Label, period.From, period.To, sentVia, actor, recipients, mail.Subject, clock.GetUtcNow());

        await using var connection = await database.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (!await store.TryRecordRunAsync(run, tx, ct))
        {
            await tx.RollbackAsync(ct);
            return ((await store.RunAsync(account.Id, period.KindName, period.Label, ct))!, true);
        }

        foreach (var to in recipients)
        {
            await mailer.EnqueueAsync(new OutboundMail(to, mail.Subject, mail.Text, mail.Html, $"report-{period.KindName}", null, mail.Images), tx, ct);
        }

        await tx.CommitAsync(ct);
        logger.LogInformation("Sent the {Kind} report {Period} of account {Account} to {Count} recipient(s) ({Via}).", period.KindName, period.Label, account.Id, recipients.Count, sentVia);
        return (run, false);
    }

    public async Task<IReadOnlyList<string>> RecipientsAsync(string accountId, CancellationToken ct)
    {
        var settings = await store.SettingsAsync(accountId, ct);
        if (settings.Recipients.Count > 0)
        {
            return settings.Recipients;
        }

        var managers = (await users.ListAccountUsersAsync(accountId, ct)).Where(u => u is { Active: true, IsManager: true }).Select(u => u.Email).ToList();
        return managers.Count > 0
            ? managers
            : throw new ReportException(409, "no-recipients",
                $"Account '{accountId}' has no report recipients: set them in the report settings (recipients) or invite a client user as manager.");
    }
}
