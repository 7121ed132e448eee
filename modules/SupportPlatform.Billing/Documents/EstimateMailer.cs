using System.Globalization;
using SupportPlatform.Billing.Domain;
using SupportPlatform.Core.Mail;
using SupportPlatform.Identity.Contracts;

namespace SupportPlatform.Billing.Documents;

/// <summary>
/// Sends an estimate version to the account's managers (its authorised contacts): one mail each, from the
/// <c>estimate-sent</c> template, with a signed approval link for that person. The mail is stored in the outbox in the
/// transaction that marks the version sent, so the version is sent exactly when its mail exists.
/// </summary>
internal sealed class EstimateMailer(
    EstimateService estimates,
    IUserDirectory users,
    IEnumerable<IOutboundMail> outbox,
    ApprovalLinks links,
    BillingTemplates templates,
    BillingOptions options,
    TimeProvider clock)
{
    public async Task<Estimate> SendAsync(string id, CancellationToken ct)
    {
        var estimate = await estimates.GetAsync(id, ct) ?? throw EstimateService.NotFound(id);
        var account = await estimates.RequireAccountAsync(estimate.AccountId);
        var managers = (await users.ListAccountUsersAsync(estimate.AccountId, ct)).Where(u => u is { Active: true, IsManager: true }).ToList();
        if (managers.Count == 0)
        {
            throw new BillingException(409, "no-authorised-contact",
                $"Account '{estimate.AccountId}' has no active manager to approve the estimate; invite a client user as manager first.");
        }

        var mail = outbox.FirstOrDefault();
        return await estimates.MarkSentAsync(id, async (e, tx) =>
        {
            var v = e.Current;
            var validEnd = new DateTimeOffset(v.ValidUntil.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            var expires = clock.GetUtcNow() + options.ApprovalLinkLifetime < validEnd ? clock.GetUtcNow() + options.ApprovalLinkLifetime : validEnd;
            foreach (var manager in managers)
            {
                var token = links.Create(e.Id, v.Version, manager.Id, expires);
                var (subject, text, html) = await templates.RenderMailAsync("estimate-sent", MailModel(manager.Name, account.Name, e, v, token, expires, options), ct);
                if (mail is not null)
                {
                    await mail.EnqueueAsync(new OutboundMail(manager.Email, subject, text, html, "estimate-sent"), tx, ct);
                }
            }
        }, ct);
    }

    /// <summary>The model of <c>estimate-sent</c> (also the template page's sample).</summary>
    internal static object MailModel(string recipient, string accountName, Estimate e, EstimateVersion v, string token, DateTimeOffset expires, BillingOptions options)
    {
        return new
        {
            Recipient = recipient,
            Account = accountName,
            Estimate = new { e.Id, e.Title, e.ScopeReason },
            Version = new { v.Version },
            ValidUntil = v.ValidUntil.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            Lines = v.Lines.Select(l => new
            {
                l.Task,
                Hours = l.Hours.ToString(CultureInfo.InvariantCulture),
                Rate = InvoiceRenderer.Money(l.Rate, v.Currency),
                Amount = InvoiceRenderer.Money(l.Amount, v.Currency),
            }).ToList(),
            v.Assumptions,
            Subtotal = InvoiceRenderer.Money(v.Subtotal, v.Currency),
            v.TaxName,
            TaxRate = v.TaxRate.ToString("0.####", CultureInfo.InvariantCulture),
            Tax = InvoiceRenderer.Money(v.Tax, v.Currency),
            Total = InvoiceRenderer.Money(v.Total, v.Currency),
            ApprovalUrl = $"{options.PublicUrl}/billing/approval/{token}",
            PortalUrl = $"{options.PublicUrl}/portal/estimates?id={e.Id}",
            LinkExpires = expires.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
            Seller = options.Seller.Name,
        };
    }
}
