using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using SupportPlatform.Sdk.Mail;

namespace SupportPlatform.Plugins.Email.Imap;

/// <summary>How the connection is secured.</summary>
internal enum ImapSecurity
{
    /// <summary>Plain text (only for a server on the same machine or a trusted network).</summary>
    None,

    /// <summary>TLS from the first byte (port 993).</summary>
    Ssl,

    /// <summary>Plain connection upgraded with STARTTLS, which is required (port 143).</summary>
    StartTls,
}

/// <summary>What happens to a message at the source once the platform has stored it.</summary>
internal enum AfterImport
{
    /// <summary>Moved to <see cref="MailboxSettings.MoveTo"/> (created when missing).</summary>
    Move,

    /// <summary>Flagged \Deleted and expunged.</summary>
    Delete,
}


/// <summary>One mailbox, <c>Plugins:email-imap:mailboxes:N</c>.</summary>
internal sealed record MailboxSettings(
    string Id,
    string Host,
    int Port,
    ImapSecurity Security,
    string User,
    string? Password,
    OAuth2ClientSettings? OAuth2,
    string Folder,
    AfterImport AfterImport,
    string MoveTo,
    bool AcceptAnyCertificate,
    string? CertificateThumbprint,
    TimeSpan PollInterval,
    TimeSpan IdleRefresh,
    TimeSpan RetryInterval,
    TimeSpan ReconnectMax,
    int Concurrency = 1)
{
    /// <summary>The source id handed to the sink with every message.</summary>
    public string SourceId => "imap:" + Id;

    /// <summary>Where it reads from, without secrets.</summary>
    public string Description =>
        string.Create(CultureInfo.InvariantCulture, $"imap{(Security == ImapSecurity.Ssl ? "s" : string.Empty)}://{Host}:{Port}/{Folder} as {User}");
}

/// <summary>Reads and validates <c>Plugins:email-imap</c>; a bad value throws at load with a message naming the key.</summary>
internal static partial class ImapSettings
{
    private const string Section = "Plugins:email-imap";

    public static IReadOnlyList<MailboxSettings> Read(IConfiguration configuration)
    {
        var mailboxes = configuration.GetSection("mailboxes").GetChildren().ToList();
        if (mailboxes.Count == 0)
        {
            throw new InvalidOperationException(
                $"{Section}:mailboxes is empty: configure at least one mailbox (id, host, user, password or oauth2), or disable the plugin with {Section}:Enabled=false.");
        }

        var result = new List<MailboxSettings>();
        foreach (var section in mailboxes)
        {
            var mailbox = ReadMailbox(section, $"{Section}:mailboxes:{section.Key}");
            if (result.Any(m => string.Equals(m.Id, mailbox.Id, StringComparison.OrdinalIgnoreCase)))
            {
                throw new InvalidOperationException($"{Section}:mailboxes:{section.Key}:id is '{mailbox.Id}', which another mailbox already uses: give each mailbox its own id.");
            }

            result.Add(mailbox);
        }

        return result;
    }

    private static MailboxSettings ReadMailbox(IConfigurationSection section, string path)
    {
        var id = Required(section, "id", path);
        if (!IdPattern().IsMatch(id))
        {
            throw new InvalidOperationException($"{path}:id is '{id}': use letters, digits, '.', '-' or '_' (it names the source and its state file).");
        }

        var host = Required(section, "host", path);
        var security = ParseEnum(section, "security", path, ImapSecurity.Ssl, "none, ssl or starttls");
        var port = Integer(section, "port", path, security == ImapSecurity.Ssl ? 993 : 143, 1, 65535);
        var user = Required(section, "user", path);
        var password = section["password"];
        var oauth = ReadOAuth2(section.GetSection("oauth2"), path + ":oauth2");
        if (string.IsNullOrEmpty(password) == (oauth is null))
        {
            throw new InvalidOperationException(oauth is null
                ? $"{path} has neither a password nor oauth2 settings: set {path}:password, or {path}:oauth2 (tokenEndpoint, clientId, and clientSecret or refreshToken) for XOAUTH2."
                : $"{path} has both a password and oauth2 settings: keep one of them.");
        }

        var folder = Optional(section, "folder") ?? "INBOX";
        var after = ParseEnum(section, "afterImport", path, AfterImport.Move, "move or delete");
        var moveTo = Optional(section, "moveTo") ?? "Imported";
        if (after == AfterImport.Move && string.Equals(moveTo, folder, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{path}:moveTo is '{moveTo}', the folder that is read: move imported mail to another folder.");
        }

        var thumbprint = Optional(section, "certificateThumbprint")?.Replace(":", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        if (thumbprint is not null && !Sha256Hex().IsMatch(thumbprint))
        {
            throw new InvalidOperationException($"{path}:certificateThumbprint is not a SHA-256 fingerprint: give the 64 hex digits of the server certificate's SHA-256 hash.");
        }

        return new MailboxSettings(
            id,
            host,
            port,
            security,
            user,
            string.IsNullOrEmpty(password) ? null : password,
            oauth,
            folder,
            after,
            moveTo,
            Boolean(section, "acceptAnyCertificate", path),
            thumbprint,
            TimeSpan.FromSeconds(Integer(section, "pollSeconds", path, 60, 1, 86400)),
            TimeSpan.FromSeconds(Integer(section, "idleRefreshSeconds", path, 540, 1, 1740)),
            TimeSpan.FromSeconds(Integer(section, "retrySeconds", path, 30, 1, 86400)),
            TimeSpan.FromSeconds(Integer(section, "reconnectMaxSeconds", path, 300, 1, 86400)),
            Integer(section, "concurrency", path, 8, 1, 64));
    }

    private static OAuth2ClientSettings? ReadOAuth2(IConfigurationSection section, string path)
    {
        if (!section.GetChildren().Any())
        {
            return null;
        }

        var endpointText = Required(section, "tokenEndpoint", path);
        if (!Uri.TryCreate(endpointText, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp))
        {
            throw new InvalidOperationException($"{path}:tokenEndpoint is '{endpointText}': give the absolute https URL of the OAuth2 token endpoint.");
        }

        var clientId = Required(section, "clientId", path);
        var secret = Optional(section, "clientSecret");
        var refresh = Optional(section, "refreshToken");
        if (secret is null && refresh is null)
        {
            throw new InvalidOperationException($"{path} needs clientSecret (client credentials grant) or refreshToken (refresh token grant).");
        }

        return new OAuth2ClientSettings { TokenEndpoint = endpoint, ClientId = clientId, ClientSecret = secret, RefreshToken = refresh, Scope = Optional(section, "scope") };
    }

    private static string Required(IConfigurationSection section, string key, string path) =>
        Optional(section, key) ?? throw new InvalidOperationException($"{path}:{key} is missing: it is required.");

    private static string? Optional(IConfigurationSection section, string key) =>
        string.IsNullOrWhiteSpace(section[key]) ? null : section[key]!.Trim();

    private static int Integer(IConfigurationSection section, string key, string path, int fallback, int min, int max)
    {
        var text = Optional(section, key);
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new InvalidOperationException($"{path}:{key} is '{text}': set a whole number between {min} and {max}.");
        }

        return value;
    }

    private static bool Boolean(IConfigurationSection section, string key, string path)
    {
        var text = Optional(section, key);
        if (text is null)
        {
            return false;
        }

        return bool.TryParse(text, out var value)
            ? value
            : throw new InvalidOperationException($"{path}:{key} is '{text}': set true or false.");
    }

    private static T ParseEnum<T>(IConfigurationSection section, string key, string path, T fallback, string allowed)
        where T : struct, Enum
    {
        var text = Optional(section, key);
        if (text is null)
        {
            return fallback;
        }

        return Enum.TryParse<T>(text.Replace("-", string.Empty, StringComparison.Ordinal), ignoreCase: true, out var value) && Enum.IsDefined(value)
            && !int.TryParse(text, out _)
            ? value
            : throw new InvalidOperationException($"{path}:{key} is '{text}': use {allowed}.");
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[0-9A-F]{64}$")]
    private static partial Regex Sha256Hex();
}
