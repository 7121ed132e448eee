using Microsoft.AspNetCore.Http;
using SupportPlatform.Core.Security;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Tickets.Api;

/// <summary>
/// Who is calling: the signed-in user (cookie or API token). Staff act as themselves (actor id = user id); a client
/// user acts as a client (actor id = client user id). Every ticket endpoint requires a signed-in caller.
/// </summary>
internal static class ActorResolver
{
    public static Actor Resolve(HttpContext context)
    {
        var user = context.User;
        var id = user.UserId() ?? throw new InvalidOperationException("Ticket endpoints require a signed-in caller; authorization should have refused this request.");
        return new Actor(user.IsClientUser() ? ActorKind.Client : ActorKind.Staff, id, user.DisplayName());
    }
}
