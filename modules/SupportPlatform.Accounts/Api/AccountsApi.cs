using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Accounts.Grains;
using SupportPlatform.Core.Security;

namespace SupportPlatform.Accounts.Api;

/// <summary>
/// The accounts REST API: <c>/api/accounts</c>. Senior engineers and admins define accounts; staff list them; a client
/// user reads only their own account (another account is a 404).
/// </summary>
internal static class AccountsApi
{
    public static RouteGroupBuilder MapAccountsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/accounts").WithTags("Accounts");

        group.MapPut("/{id}", async (string id, DefineAccount definition, IClusterClient client) =>
            {
                if (!AccountKeys.IsValidId(id))
                {
                    return TypedResults.ValidationProblem(new Dictionary<string, string[]>
                    {
                        ["id"] = ["An account id is 1 to 64 lowercase letters, digits and '-', e.g. 'acme-corp'."],
                    });
                }

                try
                {
                    return Results.Ok(await client.GetGrain<IClientAccountGrain>(AccountKeys.Grain(id)).Define(definition));
                }
                catch (AccountRuleException ex)
                {
                    return TypedResults.Problem(
                        detail: ex.Message,
                        statusCode: StatusCodes.Status422UnprocessableEntity,
                        extensions: new Dictionary<string, object?> { ["problems"] = ex.Problems });
                }
            })
            .WithName("DefineAccount").RequireAuthorization(PlatformPolicies.Senior)
            .WithSummary("Creates or updates a client account and its contract terms (SLA policy, calendar, reopen window, close-after).");

        group.MapGet("/{id}", async (string id, IClusterClient client) =>
                AccountKeys.IsValidId(id) && await client.GetGrain<IClientAccountGrain>(AccountKeys.Grain(id)).Get() is { } account
                    ? Results.Ok(account)
                    : TypedResults.Problem(detail: $"Account '{id}' does not exist.", statusCode: StatusCodes.Status404NotFound))
            .WithName("GetAccount").RequireAuthorization(PlatformPolicies.SignedIn).RequireAccountAccess("id")
            .WithSummary("One client account with its contract terms.");

        group.MapGet("/", async (AccountStore store, CancellationToken ct) => TypedResults.Ok(await store.ListAsync(ct)))
            .WithName("ListAccounts").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Every client account (id, name, time zone).");
        group.MapGet("/{id}/allowance", async (string id, DateTimeOffset? at, IClusterClient client) =>
                AccountKeys.IsValidId(id) && await client.GetGrain<IClientAccountGrain>(AccountKeys.Grain(id)).GetBalance(at) is { } balance
                    ? Results.Ok(balance)
                    : AccountScope.NotFound(id))
            .WithName("GetAllowance").RequireAuthorization(PlatformPolicies.SignedIn).RequireAccountAccess("id")
            .WithSummary("The phone allowance of the billing period holding 'at' (default now): used, remaining, overage. Clients see their own account.");

        group.MapGet("/{id}/allowance/periods", async (string id, IClusterClient client) =>
                AccountKeys.IsValidId(id) && await client.GetGrain<IClientAccountGrain>(AccountKeys.Grain(id)).Get() is not null
                    ? Results.Ok(await client.GetGrain<IClientAccountGrain>(AccountKeys.Grain(id)).GetPeriods())
                    : AccountScope.NotFound(id))
            .WithName("ListAllowancePeriods").RequireAuthorization(PlatformPolicies.SignedIn).RequireAccountAccess("id")
            .WithSummary("Every billing period with usage, newest first; past periods are closed and keep their figures.");

        group.MapPost("/{id}/usage", async (string id, UsageRequest request, IClusterClient client, HttpContext http) =>
            {
                if (!AccountKeys.IsValidId(id) || await client.GetGrain<IClientAccountGrain>(AccountKeys.Grain(id)).Get() is null)
                {
                    return AccountScope.NotFound(id);
                }

                if (request.Minutes is null or < 0 or > 1440 || request.StartedAt is null || string.IsNullOrWhiteSpace(request.UsageId))
                {
                    throw new BadHttpRequestException("A usage needs usageId (your idempotency key), startedAt and minutes (0 to 1440).");
                }

                try
                {
                    return Results.Ok(await client.GetGrain<IClientAccountGrain>(AccountKeys.Grain(id)).RecordUsage(new RecordUsage
                    {
                        UsageId = "manual:" + request.UsageId.Trim(),
                        Kind = request.Kind ?? UsageKind.RemoteSession,
                        StartedAt = request.StartedAt.Value,
                        Duration = TimeSpan.FromMinutes(request.Minutes.Value),
                        TicketId = request.TicketId,
                        Description = request.Description ?? $"Remote session by {http.User.Identity?.Name}",
                    }));
                }
                catch (AccountRuleException ex)
                {
                    return TypedResults.Problem(detail: ex.Message, statusCode: StatusCodes.Status422UnprocessableEntity);
                }
            })
            .WithName("RecordUsage").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Counts support time (a remote session; phone calls come through /api/phone/calls) against the allowance, once per usageId.");

        group.MapGet("/{id}/billable-lines", async (string id, bool? unbilled, IBillableLines lines, CancellationToken ct) =>
                TypedResults.Ok(await lines.ListAsync(id, unbilled ?? false, ct)))
            .WithName("ListBillableLines").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Billable lines of the account (phone time beyond the allowance, at the contract's rate), oldest first.");
        return group;
    }
}

/// <summary>Support time to count (<c>POST /api/accounts/{id}/usage</c>).</summary>
internal sealed record UsageRequest(string? UsageId, UsageKind? Kind, DateTimeOffset? StartedAt, double? Minutes, long? TicketId, string? Description);
