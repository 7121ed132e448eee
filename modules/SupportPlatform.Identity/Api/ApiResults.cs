using Microsoft.AspNetCore.Http;
using SupportPlatform.Identity.Persistence;

namespace SupportPlatform.Identity.Api;

/// <summary>Problem responses shared by the identity endpoints: each says what was wrong in the user's words.</summary>
internal static class ApiResults
{
    public static IResult Problem(int status, string code, string detail, IDictionary<string, object?>? extra = null)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = code };
        foreach (var (key, value) in extra ?? new Dictionary<string, object?>())
        {
            extensions[key] = value;
        }

        return TypedResults.Problem(detail: detail, statusCode: status, type: $"https://supportplatform.dev/problems/{code}", extensions: extensions);
    }

    public static IResult Invalid(Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, detail: string.Join(" ", errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}"))));

    public static IResult Invalid(string field, string message) => Invalid(new Dictionary<string, string[]> { [field] = [message] });

    public static IResult NotFound(string detail) => Problem(StatusCodes.Status404NotFound, "not-found", detail);

    public static IResult Forbidden(string detail) => Problem(StatusCodes.Status403Forbidden, "forbidden", detail);

    public static IResult Conflict(string code, string detail) => Problem(StatusCodes.Status409Conflict, code, detail);
}

/// <summary>The signed-in user as <c>GET /api/me</c> shows them.</summary>
internal sealed record MeView(string Id, string Email, string Name, string Kind, IReadOnlyList<string> Roles, string? AccountId, bool IsManager);

/// <summary>A user as administrators (and account managers) see them.</summary>
internal sealed record UserView(
    string Id,
    string Kind,
    string Email,
    string Name,
    string Role,
    string? AccountId,
    bool IsManager,
    bool Active,
    bool HasPassword,
    DateTimeOffset? LockedUntil,
    DateTimeOffset? LastSignInAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static UserView From(UserRecord user, DateTimeOffset now) => new(
        user.Id, user.Kind, user.Email, user.Name, user.Role, user.AccountId, user.IsManager, user.Active, user.PasswordHash is not null,
        user.LockedUntil > now ? user.LockedUntil : null, user.LastSignInAt, user.CreatedAt, user.UpdatedAt);
}

/// <summary>An API token as listed (never the token itself).</summary>
internal sealed record TokenView(string Id, string Name, string Role, string Hint, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? LastUsedAt)
{
    public static TokenView From(TokenRecord token) => new(token.Id, token.Name, token.Role, token.Hint, token.CreatedAt, token.ExpiresAt, token.LastUsedAt);
}

/// <summary>A token just created: the only time <see cref="Token"/> is shown.</summary>
internal sealed record CreatedTokenView(string Id, string Name, string Role, string Hint, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, string Token);

/// <summary>One page of results.</summary>
internal sealed record ResultPage<T>(IReadOnlyList<T> Items, int Page, int PageSize, long Total);

/// <summary>Endpoint metadata: the endpoint writes its own audit entries, so the generic request audit skips it.</summary>
internal sealed class ExplicitlyAudited
{
    public static readonly ExplicitlyAudited Instance = new();
}
