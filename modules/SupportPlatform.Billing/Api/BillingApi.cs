using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SupportPlatform.Billing.Documents;
using SupportPlatform.Billing.Domain;
using SupportPlatform.Billing.Exports;
using SupportPlatform.Billing.Periods;
using SupportPlatform.Core.Mail;
using SupportPlatform.Core.Security;
using SupportPlatform.Identity.Contracts;

namespace SupportPlatform.Billing.Api;

/// <summary>
/// The billing REST API (<c>/api/billing</c>) and the approval-link page (<c>/billing/approval/{token}</c>). Staff
/// decide scope, write and send estimates, log time and issue invoices; a client user sees their own account's sent
/// estimates, progress and invoices, and the account's manager approves or declines.
/// </summary>
internal static class BillingApi
{
    public static void MapBillingApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/billing").WithTags("Billing").AddEndpointFilter(Refusals);

        api.MapGet("/accounts/{accountId}/scope-rules", (string accountId, EstimateService s, CancellationToken ct) => s.GetScopeAsync(accountId, ct))
            .WithName("GetScopeRules").RequireAuthorization(PlatformPolicies.SignedIn).RequireAccountAccess()
            .WithSummary("The scope rules of the account's contract: what it covers (in) and what is billed by the hour (out).");
        api.MapPut("/accounts/{accountId}/scope-rules", (string accountId, ScopeRequest request, HttpContext http, EstimateService s, CancellationToken ct) =>
                s.SetScopeAsync(accountId, request, Actor(http), ct))
            .WithName("SetScopeRules").RequireAuthorization(PlatformPolicies.Senior)
            .WithSummary("Replaces the scope rules of the account's contract: { rules: [{ id?, kind: in|out, text }] }.");

        api.MapGet("/accounts/{accountId}/billing-profile", (string accountId, BillingProfiles p, CancellationToken ct) => p.GetAsync(accountId, ct))
            .WithName("GetBillingProfile").RequireAuthorization(PlatformPolicies.SignedIn).RequireAccountAccess()
            .WithSummary("The account's billing details: postal address, country and VAT id on its invoices, and its billing period (none or monthly).");
        api.MapPut("/accounts/{accountId}/billing-profile", (string accountId, BillingProfileRequest request, HttpContext http, BillingProfiles p, CancellationToken ct) =>
                p.SetAsync(accountId, request, Actor(http), ct))
            .WithName("SetBillingProfile").RequireAuthorization(PlatformPolicies.Senior)
            .WithSummary("Sets the account's billing details { street?, city?, postalCode?, countryCode, vatId?, email?, billingPeriod: none|monthly }; monthly invoices each calendar month at its end, in the account's time zone.");
        api.MapGet("/accounts/{accountId}/billing-periods", (string accountId, InvoiceService s, CancellationToken ct) => s.PeriodRunsAsync(accountId, ct))
            .WithName("ListBillingPeriods").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("The billing periods already invoiced for the account, newest first: { period, invoiceId (null: nothing to bill), at }.");

        api.MapPost("/estimates", async (CreateEstimateRequest request, HttpContext http, EstimateService s, CancellationToken ct) =>
            {
                var estimate = await s.CreateAsync(request, Actor(http), ct);
                return Results.Created($"/api/billing/estimates/{estimate.Id}", estimate);
            })
            .WithName("CreateEstimate").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Marks a ticket or request out of scope (scopeReason, scopeRuleId) and drafts its estimate: lines { task, hours, rate? }, assumptions, validUntil.");
        api.MapPost("/estimates/quote", (CreateEstimateRequest request, HttpContext http, EstimateService s) => s.QuoteAsync(request, Actor(http)))
            .WithName("QuoteEstimate").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Prices a draft estimate without storing it (same body as POST /estimates): each line's amount, subtotal, tax and total, and what would be refused.");
        api.MapGet("/estimates", async (string? accountId, long? ticketId, HttpContext http, EstimateService s, CancellationToken ct) =>
            {
                if (http.User.ClientAccountId() is { } own)
                {
                    return Results.Ok((await s.ListAsync(own, ticketId, sentOnly: true, ct)).Select(EstimateService.ForClient).Where(e => e.Versions.Count > 0));
                }

                return Results.Ok(await s.ListAsync(accountId, ticketId, sentOnly: false, ct));
            })
            .WithName("ListEstimates").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("Estimates, newest first (accountId, ticketId filters); a client user sees the sent estimates of their account.");
        api.MapGet("/estimates/{id}", async (string id, HttpContext http, EstimateService s, CancellationToken ct) =>
                Visible(http, await s.GetAsync(id, ct)) is { } estimate ? Results.Ok(estimate) : AccountScope.NotFound(id))
            .WithName("GetEstimate").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("One estimate with its versions, approvals, tasks and progress against the approved hours.");
        api.MapPut("/estimates/{id}", (string id, ReviseEstimateRequest request, HttpContext http, EstimateService s, CancellationToken ct) =>
                s.ReviseAsync(id, request, Actor(http), ct))
            .WithName("ReviseEstimate").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Writes a new version (a change request once approved); it needs the client's approval again. The approved version stays in force until then.");
        api.MapPost("/estimates/{id}/send", (string id, EstimateMailer mailer, CancellationToken ct) => mailer.SendAsync(id, ct))
            .WithName("SendEstimate").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Sends the current version to the account's managers by email (with a signed approval link) and shows it in the portal.");
        api.MapPost("/estimates/{id}/decision", async (string id, DecisionRequest request, HttpContext http, EstimateService s, CancellationToken ct) =>
            {
                if (Visible(http, await s.GetAsync(id, ct)) is null)
                {
                    return AccountScope.NotFound(id);
                }

                if (!http.User.IsAccountManager())
                {
                    return Problem(403, "not-authorised-contact", "Only the account's manager (its authorised contact) can approve or decline an estimate.");
                }

                var (estimate, repeated) = await s.DecideAsync(id, request.Version ?? 0, Decision(request.Decision), request.Reason, Actor(http), "portal", ct);
                return Results.Ok(new { estimate = EstimateService.ForClient(estimate), repeated });
            })
            .WithName("DecideEstimate").RequireAuthorization(PlatformPolicies.Client)
            .WithSummary("The account manager approves or declines a version: { version, decision: approve|decline, reason? }. Repeating the same decision changes nothing.");
        api.MapPost("/estimates/{id}/complete", (string id, EstimateService s, CancellationToken ct) => s.CompleteAsync(id, ct))
            .WithName("CompleteEstimate").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Marks the approved work completed: no more time can be logged; it can be invoiced.");
        api.MapGet("/estimates/{id}/time-entries", async (string id, HttpContext http, EstimateService s, CancellationToken ct) =>
                Visible(http, await s.GetAsync(id, ct)) is null ? AccountScope.NotFound(id) : Results.Ok(await s.EntriesAsync(id, ct)))
            .WithName("ListTimeEntries").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("The time logged on an estimate's tasks.");
        api.MapPost("/tasks/{taskId}/assignee", async (string taskId, AssignRequest request, IUserDirectory users, EstimateService s, CancellationToken ct) =>
            {
                var staff = request.StaffId is null ? null : await users.FindAsync(request.StaffId, ct);
                if (request.StaffId is not null && staff is not { Kind: "staff", Active: true })
                {
                    return Problem(400, "invalid-assignee", $"'{request.StaffId}' is not an active staff user.");
                }

                return Results.Ok(await s.AssignAsync(taskId, staff?.Id, staff?.Name, ct));
            })
            .WithName("AssignTask").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Assigns a task of approved work to a staff user ({ staffId }, null to unassign).");

        api.MapPost("/time-entries", async (TimeEntryRequest request, HttpContext http, EstimateService s, CancellationToken ct) =>
                Results.Created("/api/billing/time-entries", await s.LogTimeAsync(request, Actor(http), ct)))
            .WithName("LogTime").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Logs time on a task of approved work: { taskId (or estimateId), minutes, startedAt?, note }. Refused before approval and beyond the approved hours.");
        api.MapGet("/timer", async (HttpContext http, EstimateService s, CancellationToken ct) =>
                await s.RunningTimerAsync(http.User.UserId()!, ct) is { } entry ? Results.Ok(entry) : Results.NoContent())
            .WithName("GetTimer").RequireAuthorization(PlatformPolicies.Staff).WithSummary("Your running timer, or 204.");
        api.MapPost("/timer/start", (TimerStartRequest request, HttpContext http, EstimateService s, CancellationToken ct) => s.StartTimerAsync(request, Actor(http), ct))
            .WithName("StartTimer").RequireAuthorization(PlatformPolicies.Staff).WithSummary("Starts your timer on a task of approved work: { taskId, note? }.");
        api.MapPost("/timer/stop", (TimerStopRequest request, HttpContext http, EstimateService s, CancellationToken ct) => s.StopTimerAsync(request.Note, Actor(http), ct))
            .WithName("StopTimer").RequireAuthorization(PlatformPolicies.Staff).WithSummary("Stops your timer and logs the time (whole minutes, rounded up): { note? }.");

        api.MapPost("/invoices", async (InvoiceRequest request, InvoiceService s, ExportDispatcher exports, CancellationToken ct) =>
            {
                var issued = await s.IssueAsync(request, ct);
                exports.Wake();
                return Results.Created($"/api/billing/invoices/{issued.Document.Id}", issued);
            })
            .WithName("IssueInvoice").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Issues an invoice for completed work ({ accountId, estimateIds }) or a period ({ accountId, periodStart, periodEnd }), with the account's unbilled phone overage.");
        api.MapGet("/invoices", async (string? accountId, HttpContext http, InvoiceService s, CancellationToken ct) =>
                Results.Ok(await s.ListAsync(http.User.ClientAccountId() ?? accountId, ct)))
            .WithName("ListInvoices").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("Invoices and credit notes, newest first; a client user sees their own account's.");
        api.MapGet("/invoices/{id}", async (string id, HttpContext http, InvoiceService s, CancellationToken ct) =>
                Visible(http, await s.GetAsync(id, ct)) is { } doc ? Results.Ok(doc) : AccountScope.NotFound(id))
            .WithName("GetInvoice").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("One invoice or credit note (by id or number) with its lines, time entries and export states.");
        api.MapGet("/invoices/{id}/html", async (string id, HttpContext http, InvoiceService s, InvoiceRenderer renderer, CancellationToken ct) =>
            {
                if (Visible(http, await s.GetAsync(id, ct)) is not { } doc)
                {
                    return AccountScope.NotFound(id);
                }

                // The document has no script; inline style only, nothing else may load or run.
                http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'";
                return Results.Content(await renderer.HtmlAsync(doc.Document, ct), "text/html; charset=utf-8");
            })
            .WithName("GetInvoiceHtml").RequireAuthorization(PlatformPolicies.SignedIn).WithSummary("The document as HTML.");
        api.MapGet("/invoices/{id}/pdf", async (string id, HttpContext http, InvoiceService s, InvoiceRenderer renderer, CancellationToken ct) =>
                Visible(http, await s.GetAsync(id, ct)) is { } doc
                    ? Results.File(await renderer.PdfAsync(doc.Document, ct), "application/pdf", doc.Document.Number + ".pdf")
                    : AccountScope.NotFound(id))
            .WithName("GetInvoicePdf").RequireAuthorization(PlatformPolicies.SignedIn).WithSummary("The document as PDF (printed by headless Chromium).");
        api.MapPost("/invoices/{id}/credit-note", async (string id, CreditNoteRequest request, InvoiceService s, ExportDispatcher exports, CancellationToken ct) =>
            {
                var issued = await s.CreditAsync(id, request.Reason, ct);
                exports.Wake();
                return Results.Created($"/api/billing/invoices/{issued.Document.Id}", issued);
            })
            .WithName("CreditInvoice").RequireAuthorization(PlatformPolicies.Senior)
            .WithSummary("Cancels an invoice with a credit note ({ reason }); its time and phone lines can then be invoiced again.");
        api.MapPost("/invoices/{id}/exports/{pluginId}/retry", async (string id, string pluginId, ExportDispatcher exports, CancellationToken ct) =>
                await exports.RetryNowAsync(id, pluginId, ct) ? Results.Accepted() : Problem(404, "not-found", $"No unfinished export of '{id}' to '{pluginId}'."))
            .WithName("RetryExport").RequireAuthorization(PlatformPolicies.Staff).WithSummary("Runs a failed export again now.");

        // The link in the estimate email: GET shows the estimate and two buttons (mail scanners open links, so GET decides nothing).
        var link = endpoints.MapGroup("/billing/approval").WithTags("Billing").AllowAnonymous();
        link.MapGet("/{token}", ApprovalPage.ShowAsync).WithName("ShowApprovalLink").WithSummary("The page of a signed approval link.");
        link.MapPost("/{token}", ApprovalPage.DecideAsync).WithName("UseApprovalLink").DisableAntiforgery()
            .WithSummary("Approves or declines through a signed approval link (form or JSON field decision = approve|decline).");
    }

    internal static Actor Actor(HttpContext http) => new(
        http.User.UserId() ?? "unknown",
        http.User.DisplayName(),
        http.Connection.RemoteIpAddress?.ToString(),
        http.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua : null);

    internal static string Decision(string? decision) => decision?.Trim().ToLowerInvariant() switch
    {
        "approve" or "approved" => "approved",
        "decline" or "declined" => "declined",
        _ => throw new BillingException(400, "invalid-decision", "decision must be \"approve\" or \"decline\"."),
    };

    private static Estimate? Visible(HttpContext http, Estimate? estimate) =>
        estimate is null || !http.User.CanSeeAccount(estimate.AccountId) ? null
        : http.User.IsStaff() ? estimate
        : EstimateService.ForClient(estimate) is { Versions.Count: > 0 } forClient ? forClient : null;

    private static IssuedDocument? Visible(HttpContext http, IssuedDocument? document) =>
        document is not null && http.User.CanSeeAccount(document.AccountId) ? document : null;

    internal static IResult Problem(int status, string code, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, type: $"https://supportplatform.dev/problems/{code}",
            extensions: new Dictionary<string, object?> { ["code"] = code });

    private static async ValueTask<object?> Refusals(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (BillingException ex)
        {
            return Problem(ex.Status, ex.Code, ex.Message);
        }
    }
}

/// <summary>The small server-rendered page behind a signed approval link (no script; every value HTML-encoded).</summary>
internal static class ApprovalPage
{
    public static async Task<IResult> ShowAsync(string token, HttpContext http, ApprovalLinks links, EstimateService estimates, CancellationToken ct)
    {
        try
        {
            var (id, version, _, expires) = links.Read(token);
            var estimate = await estimates.GetAsync(id, ct) ?? throw EstimateService.NotFound(id);
            var v = estimate.Versions.Single(x => x.Version == version);
            var decided = estimate.Approvals.FirstOrDefault(a => a.Version == version);
            var rows = string.Concat(v.Lines.Select(l =>
                $"<tr><td>{E(l.Task)}</td><td>{l.Hours.ToString(CultureInfo.InvariantCulture)}</td><td>{E(InvoiceRenderer.Money(l.Rate, v.Currency))}</td><td>{E(InvoiceRenderer.Money(l.Amount, v.Currency))}</td></tr>"));
            var body = $"""
                <h1>Estimate: {E(estimate.Title)}</h1>
                <p>Version {version}, valid until {v.ValidUntil:yyyy-MM-dd}. Why it is billed: {E(estimate.ScopeReason)}</p>
                <table><thead><tr><th>Task</th><th>Hours</th><th>Rate</th><th>Amount</th></tr></thead><tbody>{rows}</tbody></table>
                <p>Subtotal {E(InvoiceRenderer.Money(v.Subtotal, v.Currency))}; {E(v.TaxName)} {E(InvoiceRenderer.Money(v.Tax, v.Currency))}; <strong>total {E(InvoiceRenderer.Money(v.Total, v.Currency))}</strong></p>
                {(v.Assumptions.Count > 0 ? "<p>Assumptions:</p><ul>" + string.Concat(v.Assumptions.Select(a => $"<li>{E(a)}</li>")) + "</ul>" : "")}
                """;
            body += decided is not null
                ? $"<p role=\"status\">This version was {E(decided.Decision)} by {E(decided.UserName)} on {decided.At:yyyy-MM-dd HH:mm} UTC.</p>"
                : estimate.CurrentVersion != version
                    ? $"<p role=\"alert\">This estimate has changed since this link was sent: version {estimate.CurrentVersion} replaces it. Review it in the portal.</p>"
                    : $"""
                      <form method="post"><label for="reason">Comment (optional)</label><br><textarea id="reason" name="reason" rows="3" cols="50"></textarea><br>
                      <button type="submit" name="decision" value="approve">Approve</button> <button type="submit" name="decision" value="decline">Decline</button></form>
                      <p>The link works until {expires:yyyy-MM-dd HH:mm} UTC.</p>
                      """;
            return Page(http, 200, "Estimate", body);
        }
        catch (BillingException ex)
        {
            return Page(http, ex.Status, "Approval link", $"<h1>This link cannot be used</h1><p role=\"alert\">{E(ex.Message)}</p>");
        }
    }

    public static async Task<IResult> DecideAsync(string token, HttpContext http, ApprovalLinks links, EstimateService estimates, IUserDirectory users, CancellationToken ct)
    {
        var json = http.Request.HasJsonContentType();
        try
        {
            string? decision;
            string? reason;
            if (json)
            {
                var request = await http.Request.ReadFromJsonAsync<DecisionRequest>(ct);
                (decision, reason) = (request?.Decision, request?.Reason);
            }
            else if (http.Request.HasFormContentType)
            {
                var form = await http.Request.ReadFormAsync(ct);
                (decision, reason) = (form["decision"].ToString(), form["reason"].ToString());
            }
            else
            {
                throw new BillingException(415, "unsupported-media-type", "Send the decision as a form or as JSON.");
            }

            var (id, version, userId, _) = links.Read(token);
            var user = await users.FindAsync(userId, ct);
            if (user is not { Active: true, IsManager: true } || user.AccountId is null)
            {
                throw new BillingException(403, "not-authorised-contact", "The person this link was sent to is no longer the account's manager; ask for the estimate to be sent again.");
            }

            var estimate = await estimates.GetAsync(id, ct) ?? throw EstimateService.NotFound(id);
            if (estimate.AccountId != user.AccountId)
            {
                throw EstimateService.NotFound(id);
            }

            var actor = new Actor(user.Id, user.Name, http.Connection.RemoteIpAddress?.ToString(), http.Request.Headers.UserAgent.ToString());
            var (result, repeated) = await estimates.DecideAsync(id, version, BillingApi.Decision(decision), reason, actor, "link", ct);
            var approval = result.Approvals.Single(a => a.Version == version);
            return json
                ? Results.Ok(new { estimate = EstimateService.ForClient(result), repeated })
                : Page(http, 200, "Estimate", $"<h1>Thank you</h1><p role=\"status\">Version {version} of “{E(result.Title)}” is {E(approval.Decision)} (by {E(approval.UserName)} on {approval.At:yyyy-MM-dd HH:mm} UTC).</p>");
        }
        catch (BillingException ex)
        {
            return json ? BillingApi.Problem(ex.Status, ex.Code, ex.Message) : Page(http, ex.Status, "Approval link", $"<h1>This link cannot be used</h1><p role=\"alert\">{E(ex.Message)}</p>");
        }
    }

    private static IResult Page(HttpContext http, int status, string title, string body)
    {
        http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'";
        http.Response.Headers.CacheControl = "no-store";
        return Results.Content(
            $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{E(title)}</title>"
            + "<link rel=\"stylesheet\" href=\"/web/css/app.css\"></head><body><main id=\"main\">" + body + "</main></body></html>",
            "text/html; charset=utf-8", System.Text.Encoding.UTF8, status);
    }

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
}
