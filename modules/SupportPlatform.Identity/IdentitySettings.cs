using System.Globalization;
using System.Net.Mail;
using Microsoft.Extensions.Configuration;
using SupportPlatform.Core;

namespace SupportPlatform.Identity;

/// <summary>
/// Settings of section <c>SupportPlatform:Identity</c>, read and validated once at start. Every problem names its key,
/// the value found and what is expected; the host stops with exit code 78 on any.
/// </summary>
internal sealed record IdentitySettings
{
    public const string Section = "SupportPlatform:Identity";
    public const int MinPasswordLength = 12;
    public const int MaxPasswordLength = 256;

    public BootstrapAdminSettings? BootstrapAdmin { get; init; }

    public OidcSettings? Oidc { get; init; }

    /// <summary>Failed password sign-ins in a row that lock a user out.</summary>
    public int LockoutMaxFailures { get; init; } = 5;

    public TimeSpan LockoutDuration { get; init; } = TimeSpan.FromMinutes(15);

    public int SignInPerMinute { get; init; } = 10;

    public int LinkPerMinute { get; init; } = 5;

    public int PublicPerMinute { get; init; } = 60;

    public TimeSpan CookieLifetime { get; init; } = TimeSpan.FromHours(12);

    public TimeSpan LinkLifetime { get; init; } = TimeSpan.FromMinutes(15);

    public TimeSpan InvitationLifetime { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Where users reach the product (links in mails); null: the address the host listens on.</summary>
    public Uri? PublicUrl { get; init; }

    /// <summary>The key API tokens and link tokens are hashed with; null: generated once and kept in the database.</summary>
    public string? TokenKey { get; init; }

    /// <summary>Cookies only over HTTPS (default: when the public URL is https).</summary>
    public bool SecureCookies => PublicUrl?.Scheme == Uri.UriSchemeHttps;

    public static IdentitySettings Load(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var errors = new List<string>();
        var settings = new IdentitySettings
        {
            BootstrapAdmin = ReadBootstrap(section.GetSection("BootstrapAdmin"), errors),
            Oidc = ReadOidc(section.GetSection("Oidc"), errors),
            LockoutMaxFailures = Int(section, "Lockout:MaxFailures", 5, 1, 100, errors),
            LockoutDuration = Span(section, "Lockout:Duration", TimeSpan.FromMinutes(15), TimeSpan.FromSeconds(1), TimeSpan.FromDays(1), errors),
            SignInPerMinute = Int(section, "RateLimits:SignInPerMinute", 10, 1, 100_000, errors),
            LinkPerMinute = Int(section, "RateLimits:LinkPerMinute", 5, 1, 100_000, errors),
            PublicPerMinute = Int(section, "RateLimits:PublicPerMinute", 60, 1, 100_000, errors),
            CookieLifetime = Span(section, "CookieLifetime", TimeSpan.FromHours(12), TimeSpan.FromMinutes(1), TimeSpan.FromDays(90), errors),
            LinkLifetime = Span(section, "LinkLifetime", TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(1), TimeSpan.FromDays(1), errors),
            InvitationLifetime = Span(section, "InvitationLifetime", TimeSpan.FromDays(7), TimeSpan.FromMinutes(1), TimeSpan.FromDays(30), errors),
            // Not SupportPlatform:PublicUrl (the webhooks' address): an https address here makes cookies Secure, which
            // breaks sign-in when TLS ends at a proxy whose X-Forwarded-Proto is not trusted; keep that choice explicit.
            PublicUrl = ReadUrl(section, "PublicUrl", errors),
            TokenKey = ReadTokenKey(section, errors),
        };

        if (errors.Count > 0)
        {
            throw new PlatformSettingsException(errors);
        }

        return settings;
    }

    /// <summary>Why <paramref name="password"/> is not acceptable, or null when it is.</summary>
    public static string? PasswordProblem(string? password) =>
        string.IsNullOrWhiteSpace(password) ? "a password is required"
        : password.Length < MinPasswordLength ? $"a password needs at least {MinPasswordLength} characters"
        : password.Length > MaxPasswordLength ? $"a password has at most {MaxPasswordLength} characters"
        : null;

    /// <summary>Lower-cased email when <paramref name="email"/> is a plain address (name@domain), else null.</summary>
    public static string? NormalizeEmail(string? email)
    {
        if (string.IsNullOrWhiteSpace(email) || email.Length > 254)
        {
            return null;
        }

        email = email.Trim();
        return MailAddress.TryCreate(email, out var address) && address.Address == email && email.IndexOf('@', StringComparison.Ordinal) > 0
            ? email.ToLowerInvariant()
            : null;
    }

    private static BootstrapAdminSettings? ReadBootstrap(IConfigurationSection section, List<string> errors)
    {
        var email = section["Email"];
        var password = section["Password"];
        if (string.IsNullOrEmpty(email) && string.IsNullOrEmpty(password))
        {
            return null;
        }

        var normalized = NormalizeEmail(email);
        if (normalized is null)
        {
            errors.Add($"{section.Path}:Email is '{email}', which is not valid; expected the first admin's email address, e.g. admin@example.com.");
        }

        if (PasswordProblem(password) is { } problem)
        {
            errors.Add($"{section.Path}:Password is not valid: {problem} (it is the first admin's password; change it after signing in).");
        }

        var name = string.IsNullOrWhiteSpace(section["Name"]) ? "Administrator" : section["Name"]!.Trim();
        return normalized is null || PasswordProblem(password) is not null ? null : new BootstrapAdminSettings(normalized, password!, name);
    }

    private static OidcSettings? ReadOidc(IConfigurationSection section, List<string> errors)
    {
        var authority = section["Authority"];
        var clientId = section["ClientId"];
        var enabledText = section["Enabled"];
        bool? enabled = null;
        if (!string.IsNullOrWhiteSpace(enabledText))
        {
            if (!bool.TryParse(enabledText, out var parsed))
            {
                errors.Add($"{section.Path}:Enabled is '{enabledText}', which is not valid; expected true or false.");
                return null;
            }

            enabled = parsed;
        }

        var anySet = !string.IsNullOrWhiteSpace(authority) || !string.IsNullOrWhiteSpace(clientId);
        if (enabled == false || (enabled is null && !anySet))
        {
            return null;
        }

        var requireHttps = true;
        if (section["RequireHttpsMetadata"] is { Length: > 0 } requireText && !bool.TryParse(requireText, out requireHttps))
        {
            errors.Add($"{section.Path}:RequireHttpsMetadata is '{requireText}', which is not valid; expected true or false.");
        }

        Uri? authorityUri = null;
        if (string.IsNullOrWhiteSpace(authority))
        {
            errors.Add($"{section.Path}:Authority is missing: OpenID Connect sign-in is configured, so the identity provider's issuer URL is expected, e.g. https://login.example.com/realms/msp.");
        }
        else if (!Uri.TryCreate(authority, UriKind.Absolute, out authorityUri)
            || (authorityUri.Scheme != Uri.UriSchemeHttps && !(authorityUri.Scheme == Uri.UriSchemeHttp && !requireHttps)))
        {
            errors.Add($"{section.Path}:Authority is '{authority}', which is not valid; expected an absolute https URL of the identity provider "
                + $"(http only with {section.Path}:RequireHttpsMetadata=false).");
            authorityUri = null;
        }

        if (string.IsNullOrWhiteSpace(clientId))
        {
            errors.Add($"{section.Path}:ClientId is missing: OpenID Connect sign-in is configured, so the client id registered at the identity provider is expected.");
        }

        var callback = string.IsNullOrWhiteSpace(section["CallbackPath"]) ? "/auth/oidc/callback" : section["CallbackPath"]!;
        if (!callback.StartsWith('/'))
        {
            errors.Add($"{section.Path}:CallbackPath is '{callback}', which is not valid; expected a path starting with '/', e.g. /auth/oidc/callback.");
        }

        var scopes = (section["Scopes"] ?? "openid profile email").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (!scopes.Contains("openid"))
        {
            errors.Add($"{section.Path}:Scopes is '{section["Scopes"]}', which is not valid; the scopes must include 'openid' (default 'openid profile email').");
        }

        return authorityUri is null || string.IsNullOrWhiteSpace(clientId)
            ? null
            : new OidcSettings(
                authorityUri.ToString().TrimEnd('/'),
                clientId.Trim(),
                string.IsNullOrWhiteSpace(section["ClientSecret"]) ? null : section["ClientSecret"],
                scopes,
                callback,
                requireHttps,
                string.IsNullOrWhiteSpace(section["DisplayName"]) ? "Single sign-on" : section["DisplayName"]!,
                string.IsNullOrWhiteSpace(section["EmailClaim"]) ? "email" : section["EmailClaim"]!);
    }

    private static Uri? ReadUrl(IConfigurationSection section, string key, List<string> errors)
    {
        var value = section[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (!Uri.TryCreate(value.TrimEnd('/') + "/", UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"{section.Path}:{key} is '{value}', which is not valid; expected the absolute http(s) URL users reach the product at, e.g. https://support.example.com.");
            return null;
        }

        return uri;
    }

    private static string? ReadTokenKey(IConfigurationSection section, List<string> errors)
    {
        var value = section["TokenKey"];
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (value.Length < 32)
        {
            errors.Add($"{section.Path}:TokenKey is {value.Length} characters long, which is too short; expected a random secret of at least 32 characters (or leave it empty to keep a generated key in the database).");
            return null;
        }

        return value;
    }

    private static int Int(IConfigurationSection section, string key, int fallback, int min, int max, List<string> errors)
    {
        var value = section[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }

        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) || number < min || number > max)
        {
            errors.Add($"{section.Path}:{key} is '{value}', which is not valid; expected a whole number from {min} to {max} (default {fallback}).");
            return fallback;
        }

        return number;
    }

    private static TimeSpan Span(IConfigurationSection section, string key, TimeSpan fallback, TimeSpan min, TimeSpan max, List<string> errors)
    {
        var value = section[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }

        if (!TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span) || span < min || span > max)
        {
            errors.Add($"{section.Path}:{key} is '{value}', which is not valid; expected a duration such as '{fallback:c}' between {min:c} and {max:c}.");
            return fallback;
        }

        return span;
    }
}

/// <summary>The first admin, created at start when no staff user exists.</summary>
internal sealed record BootstrapAdminSettings(string Email, string Password, string Name);

/// <summary>OpenID Connect sign-in for staff (off unless configured).</summary>
internal sealed record OidcSettings(
    string Authority,
    string ClientId,
    string? ClientSecret,
    IReadOnlyList<string> Scopes,
    string CallbackPath,
    bool RequireHttpsMetadata,
    string DisplayName,
    string EmailClaim);
