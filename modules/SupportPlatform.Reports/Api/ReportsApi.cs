using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SupportPlatform.Core.Security;
using SupportPlatform.Reports.Contracts;
using SupportPlatform.Reports.Data;
using SupportPlatform.Reports.Delivery;
using SupportPlatform.Reports.Documents;
using SupportPlatform.Reports.Domain;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Reports.Api;

/// <summary>Body of <c>PUT /api/reports/accounts/{accountId}/settings</c>.</summary>
internal sealed record SettingsRequest(
    bool? WeeklyEnabled, string? WeeklyDay, int? WeeklyHour, bool? MonthlyEnabled, int? MonthlyHour, IReadOnlyList<string>? Recipients, double? UptimeTargetPercent);

/// <summary>Body of <c>POST .../next-steps</c> and <c>PUT .../next-steps/{stepId}</c>.</summary>
internal sealed record NextStepRequest(string? Text, string? Status, string? AgreedIn);

/// <summary>Body of <c>POST .../notes</c>.</summary>
internal sealed record NoteRequest(string? Body);

/// <summary>
/// The reports API (<c>/api/reports</c>): an account's weekly or monthly report as JSON, web page, presentation and PDF
/// (staff, and the account's own client users), sending it by hand (staff; at most once per period), its settings and
/// schedule, agreed next steps and discussion notes (staff write, the account reads), and the staff report across accounts.
/// </summary>
internal static class ReportsApi
{
    public static void MapReportsApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/reports").WithTags("Reports").AddEndpointFilter(Refusals);
        var account = api.MapGroup("/accounts/{accountId}");

        account.MapGet("/{kind}/{period}", (string accountId, string kind, string period, ReportBuilder b, CancellationToken ct) => b.BuildAsync(accountId, kind, period, ct))
            .WithName("GetAccountReport").RequireAuthorization(PlatformPolicies.SignedIn).RequireAccountAccess()
            .WithSummary("The account's report for a period (kind weekly|monthly, period 2026-W44|2026-10): activity, metrics, insights, trends, next steps, as JSON.");
        account.MapGet("/periods", PeriodsAsync)
            .WithName("ListReportPeriods").RequireAuthorization(PlatformPolicies.SignedIn).RequireAccountAccess()
            .WithSummary("The account's report periods of a kind (kind=weekly|monthly, default weekly): the running one (preview only) and the last 12 that are over, newest first, each with when it was sent.");
        account.MapGet("/{kind}/{period}/html", async (string accountId, string kind, string period, HttpContext http, ReportBuilder b, ReportDocuments d, CancellationToken ct) =>
            {
                var html = await d.PageAsync(await b.BuildAsync(accountId, kind, period, ct), ct);
                // The report has no script and its charts are data: URIs; the console and portal show it in a frame.
                http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'";
                // Built from live data (next steps, notes, a running period): never kept by the browser.
                http.Response.Headers.CacheControl = "no-store";
                return Results.Content(html, "text/html; charset=utf-8");
            })
            .WithName("GetAccountReportPage").RequireAuthorization(PlatformPolicies.SignedIn).RequireAccountAccess()
            .WithSummary("The report as a web page (the same template as the email, charts embedded): the preview before sending.");
        account.MapGet("/{kind}/{period}/presentation", async (string accountId, string kind, string period, ReportBuilder b, ReportDocuments d, CancellationToken ct) =>
                Results.Content(await d.PresentationAsync(await b.BuildAsync(accountId, kind, period, ct), ct), "text/html; charset=utf-8"))
            .WithName("GetAccountReportPresentation").RequireAuthorization(PlatformPolicies.SignedIn).RequireAccountAccess()
            .WithSummary("The report as a full-screen presentation, one slide per section (arrow keys, space; F for full screen).");
        account.MapGet("/{kind}/{period}/pdf", async (string accountId, string kind, string period, ReportBuilder b, ReportDocuments d, CancellationToken ct) =>
                Results.File(await d.PdfAsync(await b.BuildAsync(accountId, kind, period, ct), ct), "application/pdf", $"report-{accountId}-{period}.pdf"))
            .WithName("GetAccountReportPdf").RequireAuthorization(PlatformPolicies.SignedIn).RequireAccountAccess()
            .WithSummary("The report as PDF (printed by headless Chromium).");
        account.MapPost("/{kind}/{period}/send", async (string accountId, string kind, string period, HttpContext http, ReportSender s, CancellationToken ct) =>
            {
                var (run, already) = await s.SendAsync(accountId, kind, period, "manual", http.User.UserId() ?? "unknown", ct);
                return Results.Ok(new { run, alreadySent = already });
            })
            .WithName("SendAccountReport").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Sends the report of a finished period to the account's stakeholders now. At most once per period: a repeat answers alreadySent and sends nothing.");
        account.MapGet("/{kind}/{period}/notes", async (string accountId, string kind, string period, ReportBuilder b, ReportStore s, CancellationToken ct) =>
            {
                var view = await b.AccountAsync(accountId);
                var p = ReportPeriod.Parse(kind, period, view.TimeZone);
                return Results.Ok(await s.NotesAsync(accountId, p.KindName, p.Label, ct));
            })
            .WithName("ListReportNotes").RequireAuthorization(PlatformPolicies.SignedIn).RequireAccountAccess()
            .WithSummary("Discussion notes recorded against the report (shown in the next report of the same kind).");
        account.MapPost("/{kind}/{period}/notes", async (string accountId, string kind, string period, NoteRequest request, HttpContext http, ReportBuilder b, ReportStore s, CancellationToken ct) =>
            {
                var view = await b.AccountAsync(accountId);
                var p = ReportPeriod.Parse(kind, period, view.TimeZone);
                var text = Text(request.Body, "body", 4000);
                return Results.Created($"/api/reports/accounts/{accountId}/{p.KindName}/{p.Label}/notes", await s.AddNoteAsync(accountId, p.KindName, p.Label, text, http.User.DisplayName(), ct));
            })
            .WithName("AddReportNote").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Records a discussion note from the stakeholder meeting against the report: { body }.");
        account.MapGet("/runs", (string accountId, ReportStore s, CancellationToken ct) => s.RunsAsync(accountId, ct))
            .WithName("ListReportRuns").RequireAuthorization(PlatformPolicies.SignedIn).RequireAccountAccess()
            .WithSummary("The reports sent to the account, newest period first.");
        account.MapGet("/settings", async (string accountId, ReportBuilder b, ReportStore s, CancellationToken ct) =>
            {
                await b.AccountAsync(accountId);
                return await s.SettingsAsync(accountId, ct);
            })
            .WithName("GetReportSettings").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("The account's report schedule (weekly day and hour, monthly hour) and recipients.");
        account.MapPut("/settings", PutSettingsAsync)
            .WithName("SetReportSettings").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Sets the schedule: { weeklyEnabled, weeklyDay: monday..sunday, weeklyHour 0-23, monthlyEnabled, monthlyHour 0-23, recipients: [addresses] (empty: the account's managers) }. The uptime target is the monitoring alert rules' uptimeTarget.");
        account.MapGet("/next-steps", (string accountId, bool? all, ReportStore s, CancellationToken ct) => s.NextStepsAsync(accountId, openOnly: all != true, ct))
            .WithName("ListNextSteps").RequireAuthorization(PlatformPolicies.SignedIn).RequireAccountAccess()
            .WithSummary("Agreed next steps still open (all=true: done ones too); open ones appear in every report until done.");
        account.MapPost("/next-steps", async (string accountId, NextStepRequest request, HttpContext http, ReportBuilder b, ReportStore s, CancellationToken ct) =>
            {
                await b.AccountAsync(accountId);
                var step = await s.AddNextStepAsync(accountId, Text(request.Text, "text", 2000), request.AgreedIn is { Length: > 0 } a ? Text(a, "agreedIn", 40) : null, http.User.UserId() ?? "unknown", ct);
                return Results.Created($"/api/reports/accounts/{accountId}/next-steps/{step.Id}", step);
            })
            .WithName("AddNextStep").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Adds an agreed next step: { text, agreedIn? (the report period it was agreed in) }.");
        account.MapPut("/next-steps/{stepId}", async (string accountId, string stepId, NextStepRequest request, ReportStore s, CancellationToken ct) =>
            {
                if (request.Status is not (null or "open" or "done"))
                {
                    throw new ReportException(400, "bad-status", $"'{request.Status}' is not a next-step status: use open or done.");
                }

                var text = request.Text is null ? null : Text(request.Text, "text", 2000);
                return await s.UpdateNextStepAsync(accountId, stepId, text, request.Status, ct) is { } step ? Results.Ok(step) : AccountScope.NotFound(stepId);
            })
            .WithName("UpdateNextStep").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Edits a next step's text or marks it done (or open again): { text?, status?: open|done }.");

        api.MapGet("/staff/{kind}/{period}", (string kind, string period, ReportBuilder b, CancellationToken ct) => b.BuildStaffAsync(kind, period, ct))
            .WithName("GetStaffReport").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("The internal report across all accounts (UTC periods): SLA by agent and group, backlog, breaches, hours by account.");
        api.MapGet("/staff/{kind}/{period}/html", async (string kind, string period, ReportBuilder b, ReportDocuments d, CancellationToken ct) =>
                Results.Content(await d.StaffAsync(await b.BuildStaffAsync(kind, period, ct), ct), "text/html; charset=utf-8"))
            .WithName("GetStaffReportPage").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("The internal staff report as a web page.");
    }

    private static async Task<IResult> PeriodsAsync(string accountId, string? kind, ReportBuilder builder, ReportStore store, TimeProvider clock, CancellationToken ct)
    {
        var view = await builder.AccountAsync(accountId);
        var k = kind switch
        {
            null or "" or "weekly" => ReportKind.Weekly,
            "monthly" => ReportKind.Monthly,
            _ => throw new ReportException(400, "bad-kind", $"'{kind}' is not a report kind: use weekly or monthly."),
        };
        var now = clock.GetUtcNow();
        var last = ReportPeriod.LastComplete(k, now, view.TimeZone);
        var sent = (await store.RunsAsync(accountId, ct)).Where(r => r.Kind == last.KindName).ToDictionary(r => r.Period, StringComparer.Ordinal);
        var finished = new List<object>();
        for (var (p, i) = (last, 0); i < PeriodsListed; p = p.Previous(), i++)
        {
            var run = sent.GetValueOrDefault(p.Label);
            finished.Add(new { period = p.Label, p.Title, p.Dates, p.From, p.To, sentAt = run?.SentAt, sentVia = run?.SentVia });
        }

        var running = k == ReportKind.Weekly
            ? ReportPeriod.Week(last.FirstDay.PlusDays(7), view.TimeZone)
            : ReportPeriod.Month(last.FirstDay.PlusMonths(1).Year, last.FirstDay.PlusMonths(1).Month, view.TimeZone);
        return Results.Ok(new
        {
            accountId = view.Id,
            accountName = view.Name,
            view.TimeZone,
            kind = last.KindName,
            running = new { period = running.Label, running.Title, running.Dates, running.From, running.To },
            finished,
        });
    }

    /// <summary>How many finished periods <c>GET .../periods</c> lists (a quarter of weeks would be 13; a year of months is 12).</summary>
    private const int PeriodsListed = 12;

    private static async Task<IResult> PutSettingsAsync(string accountId, SettingsRequest request, HttpContext http, ReportBuilder builder, ReportStore store, IDatabase database, IGrainFactory grains, CancellationToken ct)
    {
        await builder.AccountAsync(accountId);
        var current = await store.SettingsAsync(accountId, ct);
        var problems = new List<string>();
        var day = current.WeeklyDay;
        if (request.WeeklyDay is { } rawDay && (int.TryParse(rawDay, out _) || !Enum.TryParse(rawDay, ignoreCase: true, out day)))
        {
            problems.Add($"weeklyDay is '{rawDay}'; use a weekday name such as monday.");
        }

        if (request.WeeklyHour is < 0 or > 23)
        {
            problems.Add($"weeklyHour is {request.WeeklyHour}; use an hour from 0 to 23 (account time).");
        }

        if (request.MonthlyHour is < 0 or > 23)
        {
            problems.Add($"monthlyHour is {request.MonthlyHour}; use an hour from 0 to 23 (account time).");
        }

        if (request.UptimeTargetPercent is not null)
        {
            problems.Add($"uptimeTargetPercent is no longer a report setting: reports compare uptime with the monitoring alert rules' uptimeTarget, "
                + $"set it there (PUT /api/monitoring/accounts/{accountId}/rules, or a system's rules) and leave uptimeTargetPercent out.");
        }

        var recipients = request.Recipients?.Select(r => r?.Trim() ?? "").ToList();
        foreach (var r in recipients ?? [])
        {
            if (!System.Net.Mail.MailAddress.TryCreate(r, out var parsed) || parsed.Address != r)
            {
                problems.Add($"recipients: '{r}' is not an email address.");
            }
        }

        if (problems.Count > 0)
        {
            return Problem(400, "invalid-settings", string.Join(" ", problems));
        }

        var settings = current with
        {
            WeeklyEnabled = request.WeeklyEnabled ?? current.WeeklyEnabled,
            WeeklyDay = day,
            WeeklyHour = request.WeeklyHour ?? current.WeeklyHour,
            MonthlyEnabled = request.MonthlyEnabled ?? current.MonthlyEnabled,
            MonthlyHour = request.MonthlyHour ?? current.MonthlyHour,
            Recipients = recipients ?? current.Recipients,
        };
        await using (var connection = await database.OpenConnectionAsync(ct))
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            await store.SaveSettingsAsync(settings, http.User.UserId() ?? "unknown", tx, ct);
            await tx.CommitAsync(ct);
        }

        await grains.GetGrain<IReportScheduleGrain>("rs-" + accountId).Reschedule();
        return Results.Ok(settings);
    }

    private static string Text(string? value, string field, int max)
    {
        var text = value?.Trim() ?? "";
        return text.Length is > 0 && text.Length <= max
            ? text
            : throw new ReportException(400, "bad-" + field.ToLowerInvariant(), $"{field} must be 1 to {max} characters long.");
    }

    internal static IResult Problem(int status, string code, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, type: $"https://supportplatform.dev/problems/{code}",
            extensions: new Dictionary<string, object?> { ["code"] = code });

    private static async ValueTask<object?> Refusals(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (ReportException ex)
        {
            return Problem(ex.Status, ex.Code, ex.Message);
        }
        catch (ReportTemplateException ex)
        {
            return TypedResults.Problem(detail: ex.Message, statusCode: 422, type: "https://supportplatform.dev/problems/template-error",
                extensions: new Dictionary<string, object?> { ["code"] = "template-error", ["file"] = ex.File, ["line"] = ex.Line });
        }
    }
}
