using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SupportPlatform.Core.Security;
using SupportPlatform.Notifications.Contracts;
using SupportPlatform.Notifications.Escalation;

namespace SupportPlatform.Notifications.Api;

/// <summary><c>/api/escalation-policies</c>, <c>/api/escalations</c> and the signed acknowledgement link <c>/ack/{token}</c>.</summary>
internal static class EscalationApi
{
    public static void MapEscalationApi(this IEndpointRouteBuilder endpoints)
    {
        var policies = endpoints.MapGroup("/api/escalation-policies").WithTags("Escalation");
        policies.MapGet("/", (PolicyStore store, CancellationToken ct) => store.ListAsync(ct)).WithName("ListEscalationPolicies").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("The escalation policies.");
        policies.MapPut("/{id}", Put).WithName("PutEscalationPolicy").RequireAuthorization(PlatformPolicies.Admin)
            .WithSummary("Creates or replaces a policy for an account and priority (either may be omitted for \"every\"): steps with targets (on-call of a team, a user, the duty manager) and minutes after the trigger.");
        policies.MapDelete("/{id}", Delete).WithName("DeleteEscalationPolicy").RequireAuthorization(PlatformPolicies.Admin).WithSummary("Deletes a policy.");

        var escalations = endpoints.MapGroup("/api/escalations").WithTags("Escalation");
        escalations.MapGet("/", List).WithName("ListEscalations").RequireAuthorization(PlatformPolicies.Staff).WithSummary("Escalations (filters: ticketId, status) with the steps that ran.");
        escalations.MapPost("/{id}/acknowledge", Acknowledge).WithName("AcknowledgeEscalation").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Acknowledges an escalation: no further step runs; recorded on the ticket.");

        // The link in a notification: GET shows a confirmation page (mail scanners follow links), POST acknowledges.
        // The signed, expiring token is the credential, so no session is needed (phones at 3 a.m.).
        endpoints.MapGet("/ack/{token}", AckPage).AllowAnonymous().ExcludeFromDescription();
        endpoints.MapPost("/ack/{token}", AckPost).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
    }

    private static async Task<IResult> Put(string id, EscalationPolicy body, PolicyStore store, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        if (!ApiErrors.ValidId(id))
        {
            problems.Add($"'{id}' is not a valid policy id: use up to 64 letters, digits, dashes, dots or underscores.");
        }

        if (body.Steps is null || body.Steps.Count == 0)
        {
            problems.Add("steps: add at least one step.");
        }
        else
        {
            for (var i = 0; i < body.Steps.Count; i++)
            {
                var step = body.Steps[i];
                if (step.AfterMinutes is < 0 or > 7 * 24 * 60)
                {
                    problems.Add($"steps[{i}].afterMinutes: {step.AfterMinutes} is out of range (0 to 10080).");
                }

                if (step.Targets is null || step.Targets.Count == 0)
                {
                    problems.Add($"steps[{i}].targets: name at least one target.");
                    continue;
                }

                foreach (var target in step.Targets)
                {
                    if (target.Kind == EscalationTargetKind.OnCall && string.IsNullOrWhiteSpace(target.Team))
                    {
                        problems.Add($"steps[{i}].targets: an on-call target needs a team.");
                    }
                    else if (target.Kind == EscalationTargetKind.User && string.IsNullOrWhiteSpace(target.UserId))
                    {
                        problems.Add($"steps[{i}].targets: a user target needs a userId.");
                    }
                }
            }
        }

        if (problems.Count > 0)
        {
            return ApiErrors.Invalid(problems);
        }

        var policy = body with { Id = id };
        return await store.PutAsync(policy, cancellationToken)
            ? Results.Ok(policy)
            : Results.Problem(title: "Conflict.", detail: "Another policy already covers this account and priority; edit that one instead.", statusCode: StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> Delete(string id, PolicyStore store, CancellationToken cancellationToken) =>
        await store.DeleteAsync(id, cancellationToken) ? Results.NoContent() : ApiErrors.NotFound($"There is no escalation policy '{id}'.");

    private static async Task<IResult> List(EscalationService service, long? ticketId, string? status, CancellationToken cancellationToken)
    {
        var result = new List<object>();
        foreach (var row in await service.ListAsync(ticketId, status, cancellationToken))
        {
            var steps = await service.StepsAsync(row.Id, cancellationToken);
            result.Add(new
            {
                id = row.Id,
                ticketId = row.TicketId,
                trigger = row.TriggerKind,
                policyId = row.PolicyId,
                status = row.Status,
                startedAt = DateTimeOffset.FromUnixTimeMilliseconds(row.StartedAtMs),
                acknowledgedBy = row.AckBy,
                acknowledgedVia = row.AckVia,
                acknowledgedAt = row.AckAtMs is { } a ? DateTimeOffset.FromUnixTimeMilliseconds(a) : (DateTimeOffset?)null,
                steps = steps.Select(s => new { step = s.Step + 1, ranAt = DateTimeOffset.FromUnixTimeMilliseconds(s.RanAtMs), notified = s.Targets.Split(',', StringSplitOptions.RemoveEmptyEntries) }),
            });
        }

        return Results.Ok(result);
    }

    private static async Task<IResult> Acknowledge(string id, HttpContext http, EscalationService service, CancellationToken cancellationToken) =>
        await service.AcknowledgeAsync(id, http.User.UserId()!, "console", cancellationToken)
            ? Results.NoContent()
            : ApiErrors.NotFound($"Escalation '{id}' does not exist or is no longer running.");

    private static IResult AckPage(string token, EscalationService service)
    {
        if (service.ReadToken(token) is not { } found)
        {
            return Page("Link expired", "<p>This acknowledgement link is invalid or has expired. Acknowledge in the console instead.</p>", StatusCodes.Status404NotFound);
        }

        return Page("Acknowledge escalation", $"""
            <p>Escalation {WebUtility.HtmlEncode(found.Id)} for {WebUtility.HtmlEncode(found.User)}.</p>
            <form method="post"><button type="submit">Acknowledge</button></form>
            """, StatusCodes.Status200OK);
    }

    private static async Task<IResult> AckPost(string token, EscalationService service, CancellationToken cancellationToken)
    {
        if (service.ReadToken(token) is not { } found)
        {
            return Page("Link expired", "<p>This acknowledgement link is invalid or has expired. Acknowledge in the console instead.</p>", StatusCodes.Status404NotFound);
        }

        var done = await service.AcknowledgeAsync(found.Id, found.User, "link", cancellationToken);
        return Page("Acknowledged", done ? "<p>Acknowledged: the escalation stops here.</p>" : "<p>This escalation was already acknowledged or has ended.</p>", StatusCodes.Status200OK);
    }

    private static IResult Page(string title, string body, int status) =>
        Results.Content($"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body><main><h1>{title}</h1>{body}</main></body></html>",
            "text/html; charset=utf-8", statusCode: status);
}
