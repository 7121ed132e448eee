using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using SupportPlatform.Core.Mail;
using SupportPlatform.Identity.Api;
using SupportPlatform.Identity.Persistence;

namespace SupportPlatform.Identity.Security;

/// <summary>
/// Creates one-time sign-in links and hands the mail to the durable outbox. The link's address comes from
/// <c>SupportPlatform:Identity:PublicUrl</c> (else the address the host listens on), never from the request's Host
/// header, so nobody can make the platform mail a valid link that points elsewhere.
/// </summary>
internal sealed class LinkMailer(TokenHasher hasher, LinkStore links, IdentitySettings settings, IServer server, TimeProvider clock)
{
    public async Task<string> SendAsync(IOutboundMail mail, UserRecord user, string purpose, CancellationToken cancellationToken)
    {
        var token = TokenHasher.NewToken("spl_");
        var now = clock.GetUtcNow();
        var lifetime = purpose == AuthApi.InvitationPurpose ? settings.InvitationLifetime : settings.LinkLifetime;
        await links.InsertAsync(await hasher.HashAsync(token, cancellationToken), user.Id, purpose, now, now + lifetime, cancellationToken);

        var url = new Uri(BaseUrl(), "auth/link/" + token).ToString();
        var valid = lifetime.TotalHours >= 24 ? $"{lifetime.TotalDays:0} days" : lifetime.TotalHours >= 1 ? $"{lifetime.TotalHours:0} hours" : $"{lifetime.TotalMinutes:0} minutes";
        var (subject, intro) = purpose == AuthApi.InvitationPurpose
            ? ("You are invited to the support portal", $"Hello {user.Name},\n\nyou have been given access to the support portal. Open this link to sign in:")
            : ("Your sign-in link", $"Hello {user.Name},\n\nopen this link to sign in to the support portal:");
        var text = $"{intro}\n\n{url}\n\nThe link works once and for {valid}. If you did not ask for it, ignore this mail.\n";
        var html = $"<p>{WebUtility.HtmlEncode(intro).Replace("\n\n", "</p><p>", StringComparison.Ordinal)}</p>"
            + $"<p><a href=\"{WebUtility.HtmlEncode(url)}\">Sign in</a></p>"
            + $"<p>The link works once and for {valid}. If you did not ask for it, ignore this mail.</p>";
        await mail.EnqueueAsync(new OutboundMail(user.Email, subject, text, html, purpose), cancellationToken);
        return url;
    }

    private Uri BaseUrl()
    {
        if (settings.PublicUrl is { } configured)
        {
            return configured;
        }

        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is null || !Uri.TryCreate(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal)
                .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal).Replace("://[::]", "://localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri))
        {
            return new Uri("http://localhost/");
        }

        return new Uri(uri.GetLeftPart(UriPartial.Authority) + "/");
    }
}
