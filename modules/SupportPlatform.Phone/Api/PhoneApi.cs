using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SupportPlatform.Core.Security;
using SupportPlatform.Identity.Contracts;
using SupportPlatform.Phone.Contracts;
using SupportPlatform.Phone.Persistence;

namespace SupportPlatform.Phone.Api;

/// <summary>
/// The phone REST API (<c>/api/phone</c>), staff only: the call log, manual call logging, picking a call's ticket or
/// account, staff phone numbers for routing. Clients read their allowance at <c>/api/accounts/{id}/allowance</c>.
/// </summary>
internal static class PhoneApi
{
    private const string IdempotencyHeader = "Idempotency-Key";

    public static RouteGroupBuilder MapPhoneApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/phone").WithTags("Phone").RequireAuthorization(PlatformPolicies.Staff);

        group.MapGet("/calls", async (string? accountId, bool? triage, int? limit, CallStore store) =>
                TypedResults.Ok(await store.ListAsync(accountId, triage, Math.Clamp(limit ?? 100, 1, 1000))))
            .WithName("ListCalls").WithSummary("The call log, newest first; triage=true lists calls no account matched.");

        group.MapGet("/calls/{id}", async (string id, IClusterClient client) =>
                await client.GetGrain<ICallGrain>(CallKeys.Grain(id)).Get() is { } call ? Results.Ok(call) : NotFound(id))
            .WithName("GetCall").WithSummary("One call ('provider:call id').");

        group.MapPost("/calls", async (ManualCallRequest request, HttpContext http, IClusterClient client) =>
            {
                var problems = new Dictionary<string, string[]>();
                if (string.IsNullOrWhiteSpace(request.AccountId))
                {
                    problems["accountId"] = ["Name the client account the call was with."];
                }

                if (request.StartedAt is null)
                {
                    problems["startedAt"] = ["Give the time the call started (ISO 8601 with offset)."];
                }

                if (request.DurationMinutes is not (> 0 and <= 1440))
                {
                    problems["durationMinutes"] = ["Give the call's length in minutes, more than 0 and at most 1440."];
                }

                var key = http.Request.Headers[IdempotencyHeader].ToString();
                if (key.Length > 100 || key.Any(c => c <= ' ' || c >= 127))
                {
                    problems[IdempotencyHeader] = ["The Idempotency-Key header is 1 to 100 printable characters without spaces."];
                }

                if (problems.Count > 0)
                {
                    return TypedResults.ValidationProblem(problems);
                }

                var callId = key.Length > 0 ? http.User.UserId() + "-" + key : Guid.NewGuid().ToString("N");
                return await Run(async () => TypedResults.Ok(await client.GetGrain<ICallGrain>(CallKeys.Grain(CallKeys.Id("manual", callId))).LogManual(new ManualCall
                {
                    AccountId = request.AccountId!.Trim(),
                    ContactId = string.IsNullOrWhiteSpace(request.ContactId) ? null : request.ContactId.Trim(),
                    Number = request.Number?.Trim() ?? "",
                    StartedAt = request.StartedAt!.Value,
                    Duration = TimeSpan.FromMinutes(request.DurationMinutes!.Value),
                    Notes = request.Notes,
                    TicketId = request.TicketId,
                    AgentId = http.User.UserId()!,
                    AgentName = http.User.DisplayName(),
                })));
            })
            .WithName("LogCall").WithSummary("Logs a call made outside the integrations; it counts against the allowance like any answered call. Idempotency-Key makes retries safe.");

        group.MapPut("/calls/{id}/ticket", (string id, PickTicket request, HttpContext http, IClusterClient client) =>
                Run(async () => TypedResults.Ok(await client.GetGrain<ICallGrain>(CallKeys.Grain(id)).AttachToTicket(request.TicketId, http.User.UserId()!, http.User.DisplayName()))))
            .WithName("AttachCall").WithSummary("Attaches the call to a ticket the agent picked (during the call: no new ticket is opened).");

        group.MapPut("/calls/{id}/account", (string id, PickAccount request, IClusterClient client) =>
                Run(async () => TypedResults.Ok(await client.GetGrain<ICallGrain>(CallKeys.Grain(id)).AssignAccount(request.AccountId ?? "", request.ContactId))))
            .WithName("AssignCallAccount").WithSummary("Names the account of a triaged call; an answered call is then counted and ticketed, a voicemail ticketed.");

        group.MapGet("/agents", async (CallStore store) => TypedResults.Ok(await store.AgentsAsync()))
            .WithName("ListPhoneAgents").WithSummary("Staff phone numbers, duty and ring order.");

        group.MapPut("/agents/{userId}", async (string userId, AgentRequest request, IUserDirectory users, CallStore store, TimeProvider clock) =>
            {
                var user = await users.FindAsync(userId);
                if (user is not { Kind: "staff", Active: true })
                {
                    return Problem(StatusCodes.Status404NotFound, "not-found", $"'{userId}' is not an active staff user.");
                }

                if (request.Number is null || !PhoneOptions.E164().IsMatch(request.Number))
                {
                    return Problem(StatusCodes.Status422UnprocessableEntity, "invalid-number", $"'{request.Number}' is not a phone number in E.164 form; write it like +442079460000.");
                }

                var agent = new PhoneAgent(userId, user.Name, request.Number, request.OnDuty ?? true, request.RingOrder ?? 0);
                await store.SaveAgentAsync(agent, clock.GetUtcNow());
                return Results.Ok(agent);
            })
            .RequireAuthorization(PlatformPolicies.Senior)
            .WithName("SetPhoneAgent").WithSummary("Sets a staff member's phone number, whether they are on duty (rung in business hours) and their ring order.");

        group.MapDelete("/agents/{userId}", async (string userId, CallStore store) =>
                await store.DeleteAgentAsync(userId) ? Results.NoContent() : NotFound(userId))
            .RequireAuthorization(PlatformPolicies.Senior)
            .WithName("DeletePhoneAgent").WithSummary("Removes a staff member from phone routing.");
        return group;
    }

    private static async Task<IResult> Run(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (PhoneRuleException ex)
        {
            return Problem(ex.Code switch { "not-found" => 404, "conflict" => 409, _ => 422 }, ex.Code, ex.Message);
        }
        catch (SupportPlatform.Tickets.Contracts.TicketRuleException ex)
        {
            return Problem(ex.IsValidation ? 422 : 409, ex.Code, ex.Message);
        }
        catch (SupportPlatform.Accounts.Contracts.AccountRuleException ex)
        {
            return Problem(422, "invalid-usage", ex.Message);
        }
    }

    private static IResult NotFound(string what) => Problem(StatusCodes.Status404NotFound, "not-found", $"'{what}' does not exist.");

    private static IResult Problem(int status, string code, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, extensions: new Dictionary<string, object?> { ["code"] = code });
}

/// <summary>A call logged by hand.</summary>
internal sealed record ManualCallRequest(string? AccountId, string? ContactId, string? Number, DateTimeOffset? StartedAt, double? DurationMinutes, string? Notes, long? TicketId);

/// <summary>The ticket an agent picked for a call.</summary>
internal sealed record PickTicket(long TicketId);

/// <summary>The account (and contact) of a triaged call.</summary>
internal sealed record PickAccount(string? AccountId, string? ContactId);

/// <summary>A staff member's phone settings.</summary>
internal sealed record AgentRequest(string? Number, bool? OnDuty, int? RingOrder);
