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
        return group;
    }
}
