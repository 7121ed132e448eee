using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;

namespace SupportPlatform.Plugins.Email.Smtp;

/// <summary>One account that may authenticate (AUTH PLAIN/LOGIN).</summary>
internal sealed record SmtpUser(string User, string Password);

/// <summary>The listener's settings, <c>Plugins:email-smtp</c>.</summary>
internal sealed record SmtpSettings(
    IPAddress Address,
    int Port,
    string ServerName,
    IReadOnlyList<string> Addresses,
    IReadOnlyList<string> Domains,
    X509Certificate2? Certificate,
    bool RequireAuthentication,
    bool AllowAuthenticationWithoutTls,
    IReadOnlyList<SmtpUser> Users,
    TimeSpan CommandTimeout)
{
    private const string Section = "Plugins:email-smtp";

    /// <summary>The source id handed to the sink with every message.</summary>
    public const string SourceId = "smtp";

    public string Description => string.Create(CultureInfo.InvariantCulture, $"smtp://{Address}:{Port} for {string.Join(", ", Addresses.Concat(Domains.Select(d => "@" + d)))}");

    /// <summary>Whether mail for <paramref name="address"/> is ours to take (never relayed anywhere).</summary>
    public bool Accepts(string address)
    {
        var at = address.LastIndexOf('@');
        return Addresses.Contains(address, StringComparer.OrdinalIgnoreCase)
            || (at > 0 && Domains.Contains(address[(at + 1)..], StringComparer.OrdinalIgnoreCase));
    }

    public static SmtpSettings Read(IConfiguration configuration)
    {
        var addressText = Optional(configuration, "address") ?? "0.0.0.0";
        if (!IPAddress.TryParse(addressText, out var address))
        {
            throw new InvalidOperationException($"{Section}:address is '{addressText}': give the IP address to listen on (0.0.0.0 for every IPv4 address, :: for IPv6).");
        }

        var port = Integer(configuration, "port", 25, 1, 65535);
        var recipients = configuration.GetSection("recipients").GetChildren().Select(c => c.Value?.Trim()).Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).ToList();
        if (recipients.Count == 0)
        {
            throw new InvalidOperationException(
                $"{Section}:recipients is empty: list the addresses (support@msp.example) or domains (msp.example) this server accepts mail for; it never relays to anyone else.");
        }

        var addresses = new List<string>();
        var domains = new List<string>();
        foreach (var recipient in recipients)
        {
            var at = recipient.IndexOf('@', StringComparison.Ordinal);
            if (at == 0)
            {
                domains.Add(recipient[1..]);
            }
            else if (at > 0)
            {
                if (recipient.IndexOf('@', at + 1) >= 0 || at == recipient.Length - 1)
                {
                    throw new InvalidOperationException($"{Section}:recipients has '{recipient}', which is not an address: use user@domain or a domain.");
                }

                addresses.Add(recipient);
            }
            else
            {
                if (Uri.CheckHostName(recipient) != UriHostNameType.Dns)
                {
                    throw new InvalidOperationException($"{Section}:recipients has '{recipient}', which is neither an address nor a domain name.");
                }

                domains.Add(recipient);
            }
        }

        var users = configuration.GetSection("users").GetChildren()
            .Select(c => new SmtpUser(
                Optional(c, "user") ?? throw new InvalidOperationException($"{Section}:users:{c.Key}:user is missing: it is required."),
                c["password"] is { Length: > 0 } p ? p : throw new InvalidOperationException($"{Section}:users:{c.Key}:password is missing: it is required.")))
            .ToList();
        var requireAuth = Boolean(configuration, "requireAuthentication");
        if (requireAuth && users.Count == 0)
        {
            throw new InvalidOperationException($"{Section}:requireAuthentication is true but {Section}:users is empty: add the accounts that may send, or turn authentication off.");
        }

        var certificate = LoadCertificate(configuration.GetSection("certificate"));
        var plainAuth = Boolean(configuration, "allowAuthenticationWithoutTls");
        if (users.Count > 0 && certificate is null && !plainAuth)
        {
            throw new InvalidOperationException(
                $"{Section}:users are set but there is no {Section}:certificate: AUTH is offered only after STARTTLS. Configure a certificate, or set allowAuthenticationWithoutTls=true for a trusted network.");
        }

        return new SmtpSettings(
            address,
            port,
            Optional(configuration, "serverName") ?? Dns.GetHostName(),
            addresses,
            domains,
            certificate,
            requireAuth,
            plainAuth,
            users,
            TimeSpan.FromSeconds(Integer(configuration, "commandTimeoutSeconds", 300, 5, 3600)));
    }

    private static X509Certificate2? LoadCertificate(IConfigurationSection section)
    {
        var path = Optional(section, "path");
        if (path is null)
        {
            return null;
        }

        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{Section}:certificate:path is '{path}', which does not exist: give a PEM certificate (with certificate:keyPath) or a PKCS#12 (.pfx) file.");
        }

        try
        {
            var keyPath = Optional(section, "keyPath");
            X509Certificate2 certificate;
            if (keyPath is not null)
            {
                using var pem = X509Certificate2.CreateFromPemFile(path, keyPath);
                // Re-import: TLS servers need a key that is not ephemeral on some platforms.
                certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
            else
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(path, section["password"]);
            }

            if (!certificate.HasPrivateKey)
            {
                throw new InvalidOperationException($"{Section}:certificate:path '{path}' holds no private key: add certificate:keyPath or use a .pfx with its key.");
            }

            return certificate;
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw new InvalidOperationException($"{Section}:certificate could not be loaded from '{path}': {ex.Message}", ex);
        }
    }

    private static string? Optional(IConfiguration section, string key) =>
        string.IsNullOrWhiteSpace(section[key]) ? null : section[key]!.Trim();

    private static int Integer(IConfiguration section, string key, int fallback, int min, int max)
    {
        var text = Optional(section, key);
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new InvalidOperationException($"{Section}:{key} is '{text}': set a whole number between {min} and {max}.");
        }

        return value;
    }

    private static bool Boolean(IConfiguration section, string key)
    {
        var text = Optional(section, key);
        if (text is null)
        {
            return false;
        }

        return bool.TryParse(text, out var value) ? value : throw new InvalidOperationException($"{Section}:{key} is '{text}': set true or false.");
    }
}
