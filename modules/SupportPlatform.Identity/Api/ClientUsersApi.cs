using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Core.Mail;
using SupportPlatform.Core.Security;
using SupportPlatform.Identity.Persistence;
using SupportPlatform.Identity.Security;

namespace SupportPlatform.Identity.Api;

/// <summary>
/// Users of a client account: <c>/api/accounts/{accountId}/users</c>. Staff manage every account's users; an account's
/// manager manages their own account's users (but cannot make managers). Other client users get 403, and a client user
/// of another account 404.
/// </summary>
internal static class ClientUsersApi
{
    public static void MapClientUsersApi(this IEndpointRouteBuilder endpoints)
    {
        var users = endpoints.MapGroup("/api/accounts/{accountId}/users").WithTags("Users")
            .RequireAuthorization(PlatformPolicies.SignedIn).RequireAccountAccess().WithMetadata(ExplicitlyAudited.Instance);
        users.MapPost("/", Invite).WithName("InviteClientUser")
            .WithSummary("Invites a user to a client account: email, name, optional id, password and manager flag (staff only). Mails a sign-in link when mail is configured and sendInvitation is not false.");
        users.MapGet("/", List).WithName("ListClientUsers").WithSummary("The account's users, active and deactivated.");
        users.MapGet("/{id}", Get).WithName("GetClientUser").WithSummary("One user of the account.");
        users.MapPatch("/{id}", Update).WithName("UpdateClientUser")
            .WithSummary("Changes a client user's name, manager flag (staff only) or active flag; deactivating signs them out and stops their tokens.");
        users.MapPost("/{id}/password", SetPassword).WithName("SetClientUserPassword")
            .WithSummary("Sets or resets a client user's password, clears a lockout and signs out their browser sessions.");
    }

    /// <summary>Staff, or the manager of the account; null when allowed, else the 403.</summary>
    private static IResult? RequireManager(HttpContext http) =>
        http.User.IsStaff() || http.User.IsAccountManager()
            ? null
            : ApiResults.Forbidden("Only MSP staff or your account's manager can manage the account's users.");

    private static async Task<IResult> Invite(
        string accountId, ClientUserCreateRequest request, HttpContext http, UserAdmin admin, IClusterClient cluster, LinkMailer mailer, AuditLog audit, TimeProvider clock)
    {
        if (RequireManager(http) is { } denied)
        {
            return denied;
        }

        if (request.Manager == true && !http.User.IsStaff())
        {
            return ApiResults.Forbidden("Only MSP staff can make a user the account's manager.");
        }

        var ct = http.RequestAborted;
        if (!AccountKeys.IsValidId(accountId) || await cluster.GetGrain<IClientAccountGrain>(AccountKeys.Grain(accountId)).Get() is null)
        {
            return ApiResults.NotFound($"Account '{accountId}' does not exist; create it first (PUT /api/accounts/{accountId}).");
        }

        var (user, problem) = await admin.CreateAsync(PlatformClaims.ClientKind, request.Id, request.Email, request.Name, PlatformRoles.Client, accountId,
            request.Manager ?? false, request.Password, ct);
        if (user is null)
        {
            return problem!;
        }

        var mail = http.RequestServices.GetService<IOutboundMail>();
        var invited = mail is not null && request.SendInvitation != false;
        if (invited)
        {
            await mailer.SendAsync(mail!, user, AuthApi.InvitationPurpose, ct);
        }

        await audit.WriteAsync(http, "client-user.invited", user.Id,
            $"{user.Email} to account {accountId}{(user.IsManager ? " as manager" : "")}{(invited ? ", invitation mailed" : "")}");
        return TypedResults.Created($"/api/accounts/{accountId}/users/{user.Id}", new InvitedUserView(UserView.From(user, clock.GetUtcNow()), invited));
    }

    private static async Task<IResult> List(string accountId, HttpContext http, UserStore users, TimeProvider clock)
    {
        if (RequireManager(http) is { } denied)
        {
            return denied;
        }

        return TypedResults.Ok((await users.ListAsync(PlatformClaims.ClientKind, accountId, http.RequestAborted)).Select(u => UserView.From(u, clock.GetUtcNow())).ToList());
    }

    private static async Task<IResult> Get(string accountId, string id, HttpContext http, UserStore users, TimeProvider clock)
    {
        if (RequireManager(http) is { } denied && http.User.UserId() != id)
        {
            return denied;
        }

        return await Find(users, accountId, id, http.RequestAborted) is { } user ? TypedResults.Ok(UserView.From(user, clock.GetUtcNow())) : NotFound(accountId, id);
    }

    private static async Task<IResult> Update(string accountId, string id, ClientUserUpdateRequest request, HttpContext http, UserAdmin admin, AuditLog audit, TimeProvider clock)
    {
        if (RequireManager(http) is { } denied)
        {
            return denied;
        }

        if (request.Manager is not null && !http.User.IsStaff())
        {
            return ApiResults.Forbidden("Only MSP staff can change who manages the account.");
        }

        if (request.Name is { } name && (string.IsNullOrWhiteSpace(name) || name.Trim().Length > 200))
        {
            return ApiResults.Invalid("name", "Give the user's display name (1 to 200 characters).");
        }

        var ct = http.RequestAborted;
        if (await Find(admin.Store, accountId, id, ct) is not { } user)
        {
            return NotFound(accountId, id);
        }

        var updated = user with { Name = request.Name?.Trim() ?? user.Name, IsManager = request.Manager ?? user.IsManager, Active = request.Active ?? user.Active };
        updated = await admin.SaveAsync(updated, newStamp: updated.IsManager != user.IsManager || updated.Active != user.Active, ct);
        await audit.WriteAsync(http, "client-user.updated", id, $"account {accountId}: {StaffApi.Changes(user, updated)}");
        return TypedResults.Ok(UserView.From(updated, clock.GetUtcNow()));
    }

    private static async Task<IResult> SetPassword(string accountId, string id, PasswordSetRequest request, HttpContext http, UserAdmin admin, AuditLog audit)
    {
        if (RequireManager(http) is { } denied)
        {
            return denied;
        }

        var ct = http.RequestAborted;
        if (await Find(admin.Store, accountId, id, ct) is not { } user)
        {
            return NotFound(accountId, id);
        }

        if (IdentitySettings.PasswordProblem(request.Password) is { } problem)
        {
            return ApiResults.Invalid("password", problem + ".");
        }

        await admin.SetPasswordAsync(user, request.Password!, ct);
        await audit.WriteAsync(http, "client-user.password-set", id, $"account {accountId}");
        return TypedResults.NoContent();
    }

    private static async Task<UserRecord?> Find(UserStore users, string accountId, string id, CancellationToken ct) =>
        await users.FindAsync(id, ct) is { Kind: PlatformClaims.ClientKind } user && user.AccountId == accountId ? user : null;

    private static IResult NotFound(string accountId, string id) => ApiResults.NotFound($"Account '{accountId}' has no user '{id}'.");
}

internal sealed record ClientUserCreateRequest(string? Id, string? Email, string? Name, bool? Manager, string? Password, bool? SendInvitation);

internal sealed record ClientUserUpdateRequest(string? Name, bool? Manager, bool? Active);

internal sealed record InvitedUserView(UserView User, bool InvitationSent);
