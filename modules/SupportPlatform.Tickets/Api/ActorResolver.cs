using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Tickets.Api;

/// <summary>
/// Who is calling. An authenticated principal's claims win. Until sign-in exists (the access-control issue), an
/// unauthenticated caller may name itself with the header <c>X-Actor: kind:id:name</c> (kind = staff, client or
/// system), else it is the staff actor "api". This header is a development aid and goes away with real sign-in.
/// </summary>
internal static class ActorResolver
{
    public const string Header = "X-Actor";

    public static Actor Resolve(HttpContext context)
    {
        var user = context.User;
        if (user.Identity?.IsAuthenticated == true)
        {
            var id = user.FindFirstValue(ClaimTypes.NameIdentifier) ?? user.Identity.Name ?? "unknown";
            var kind = user.IsInRole("client") ? ActorKind.Client : ActorKind.Staff;
            return new Actor(kind, id, user.Identity.Name ?? id);
        }

        if (context.Request.Headers[Header].ToString() is { Length: > 0 } header)
        {
            var parts = header.Split(':', 3);
            if (parts.Length == 3 && Enum.TryParse<ActorKind>(parts[0], ignoreCase: true, out var kind) && parts[1].Length > 0)
            {
                return new Actor(kind, parts[1], parts[2].Length > 0 ? parts[2] : parts[1]);
            }

            throw new TicketRuleException("invalid-actor", $"The {Header} header must look like 'staff:alice:Alice Smith' (kind:id:name).");
        }

        return new Actor(ActorKind.Staff, "api", "API");
    }
}
