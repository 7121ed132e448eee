using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SupportPlatform.Core.Security;
using SupportPlatform.Identity.Persistence;
using SupportPlatform.Identity.Security;

namespace SupportPlatform.Identity.Api;

/// <summary>The signed-in user: <c>/api/me</c>, their password and their personal API tokens.</summary>
internal static class MeApi
{
    public const int MaxTokensPerUser = 50;

    public static void MapMeApi(this IEndpointRouteBuilder endpoints)
    {
        var me = endpoints.MapGroup("/api/me").WithTags("Me").RequireAuthorization(PlatformPolicies.SignedIn).WithMetadata(ExplicitlyAudited.Instance);
        me.MapGet("/", Get).WithName("GetMe").WithSummary("Who is signed in: id, email, name, kind (staff or client), roles, account and manager flag.");
        me.MapPut("/password", ChangePassword).WithName("ChangeMyPassword")
            .WithSummary("Changes your password (the current one is required when you have one); your other browser sessions are signed out.");
        me.MapGet("/tokens", ListTokens).WithName("ListMyTokens").WithSummary("Your API tokens (without the tokens themselves), with last use.");
        me.MapPost("/tokens", CreateToken).WithName("CreateMyToken")
            .WithSummary("Creates an API token with a role at most yours and an optional expiry. The token is in this response only; store it.");
        me.MapDelete("/tokens/{id}", RevokeToken).WithName("RevokeMyToken").WithSummary("Revokes one of your API tokens.");
    }

    private static async Task<IResult> Get(HttpContext http, UserStore users)
    {
        var user = await users.FindAsync(http.User.UserId()!, http.RequestAborted);
        return user is null ? ApiResults.NotFound("Your user no longer exists.") : TypedResults.Ok(UserAdmin.Me(user, http.User));
    }

    private static async Task<IResult> ChangePassword(PasswordChangeRequest request, HttpContext http, UserAdmin admin, AuditLog audit)
    {
        var ct = http.RequestAborted;
        var user = await admin.Store.FindAsync(http.User.UserId()!, ct);
        if (user is null)
        {
            return ApiResults.NotFound("Your user no longer exists.");
        }

        if (IdentitySettings.PasswordProblem(request.NewPassword) is { } problem)
        {
            return ApiResults.Invalid("newPassword", problem + ".");
        }

        if (user.PasswordHash is not null && (string.IsNullOrEmpty(request.CurrentPassword) || !await admin.CheckPasswordAsync(user, request.CurrentPassword, ct)))
        {
            await audit.WriteAsync(http, "password.change-failed", user.Id, "current password wrong");
            return ApiResults.Problem(StatusCodes.Status403Forbidden, "invalid-current-password", "The current password is wrong.");
        }

        user = await admin.SetPasswordAsync(user, request.NewPassword!, ct);
        if (!ApiTokenHandler.HasBearer(http.Request))
        {
            // The new security stamp ends every cookie session; keep this one.
            await admin.SignInAsync(http, user, "password");
        }

        await audit.WriteAsync(http, "password.changed", user.Id);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> ListTokens(HttpContext http, TokenStore tokens) =>
        TypedResults.Ok((await tokens.ListAsync(http.User.UserId()!, http.RequestAborted)).Select(TokenView.From).ToList());

    private static async Task<IResult> CreateToken(TokenRequest request, HttpContext http, TokenStore tokens, TokenHasher hasher, AuditLog audit, TimeProvider clock)
    {
        var ct = http.RequestAborted;
        var userId = http.User.UserId()!;
        var mine = PrincipalFactory.EffectiveRole(http.User);
        var role = string.IsNullOrWhiteSpace(request.Role) ? mine : request.Role.Trim().ToLowerInvariant();
        var now = clock.GetUtcNow();
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > 100)
        {
            errors["name"] = ["Name the token (1 to 100 characters), e.g. 'monitoring integration'."];
        }

        if (PlatformRoles.Rank(role) < 0)
        {
            errors["role"] = [$"'{role}' is not a role; use one of {string.Join(", ", PlatformRoles.All)}."];
        }
        else if (PlatformRoles.Rank(role) > PlatformRoles.Rank(mine) || PlatformRoles.IsStaff(role) != PlatformRoles.IsStaff(mine))
        {
            errors["role"] = [$"A token's role is at most yours: you are '{mine}', so use {string.Join(", ", PlatformRoles.Implied(mine))}."];
        }

        if (request.ExpiresAt is { } expires && expires <= now)
        {
            errors["expiresAt"] = [$"The expiry {expires:u} is in the past; give a future time or leave it out for a token that does not expire."];
        }

        if (errors.Count > 0)
        {
            return ApiResults.Invalid(errors);
        }

        if (await tokens.CountActiveAsync(userId, ct) >= MaxTokensPerUser)
        {
            return ApiResults.Conflict("too-many-tokens", $"You have {MaxTokensPerUser} API tokens; revoke one you no longer use first.");
        }

        var token = TokenHasher.NewToken("spt_");
        var record = new TokenRecord("t-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)), userId,
            request.Name!.Trim(), role, "…" + token[^4..], now, request.ExpiresAt, null, null);
        await tokens.InsertAsync(record, await hasher.HashAsync(token, ct), ct);
        await audit.WriteAsync(http, "token.created", record.Id, $"token '{record.Name}' with role {role}" + (record.ExpiresAt is { } e ? $", expires {e:u}" : ""));
        return TypedResults.Created($"/api/me/tokens/{record.Id}",
            new CreatedTokenView(record.Id, record.Name, record.Role, record.Hint, record.CreatedAt, record.ExpiresAt, token));
    }

    private static async Task<IResult> RevokeToken(string id, HttpContext http, TokenStore tokens, IdentityCache cache, AuditLog audit, TimeProvider clock)
    {
        if (!await tokens.RevokeAsync(http.User.UserId()!, id, clock.GetUtcNow(), http.RequestAborted))
        {
            return ApiResults.NotFound($"You have no API token '{id}'.");
        }

        // This node forgets the token at once; other nodes within the token cache lifetime.
        cache.Clear();

        await audit.WriteAsync(http, "token.revoked", id);
        return TypedResults.NoContent();
    }
}

internal sealed record PasswordChangeRequest(string? CurrentPassword, string? NewPassword);

internal sealed record TokenRequest(string? Name, string? Role, DateTimeOffset? ExpiresAt);
