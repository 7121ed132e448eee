using MailKit.Security;

namespace SupportPlatform.Email.Outbox;

/// <summary>Settings under <c>SupportPlatform:Email</c>.</summary>
internal sealed class EmailOptions
{
    public const string SectionName = "SupportPlatform:Email";

    /// <summary>The sender of every message, e.g. "Acme Support &lt;support@msp.example&gt;". Required to send.</summary>
    public string? From { get; set; }

    /// <summary>Outgoing mail server (smarthost). Without it, mail waits in the outbox and readiness reports it.</summary>
    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>How long delivery keeps retrying before a message is marked failed.</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromDays(2);

    /// <summary>How often the dispatcher looks for due messages when it was not woken by a new one.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A shared team mailbox, told through the notification service of every new ticket, reply and triaged message that arrives by mail, and of bounces. Optional.</summary>
    public string? TeamAddress { get; set; }

    /// <summary>The address staff and clients open the product at (links in mail), e.g. https://support.msp.example.</summary>
    public string? PublicUrl { get; set; }
}

/// <summary>Settings under <c>SupportPlatform:Email:Smtp</c>.</summary>
internal sealed class SmtpOptions
{
    public string? Host { get; set; }

    public int Port { get; set; } = 587;

    /// <summary>None, StartTls (default), StartTlsWhenAvailable, SslOnConnect or Auto.</summary>
    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.StartTls;

    public string? UserName { get; set; }

    public string? Password { get; set; }

    /// <summary>Accept a server certificate that does not validate (a self-signed relay on the LAN). Off by default.</summary>
    public bool AcceptAnyCertificate { get; set; }

    /// <summary>
    /// XOAUTH2 instead of a password (Exchange Online, Google Workspace): the access token for <see cref="UserName"/> comes
    /// from this OAuth2 token endpoint, by client credentials or a refresh token.
    /// </summary>
    public SmtpOAuth2Options OAuth2 { get; set; } = new();

    /// <summary>Longest wait for the SMTP server on one step (connect, greeting, each command, the message); a slower server is retried later.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public bool Configured => !string.IsNullOrWhiteSpace(Host);
}

/// <summary>Settings under <c>SupportPlatform:Email:Smtp:OAuth2</c>: an OAuth2 client whose access token signs in to the SMTP server (XOAUTH2).</summary>
internal sealed class SmtpOAuth2Options
{
    /// <summary>The token endpoint, an absolute URL, e.g. https://login.microsoftonline.com/&lt;tenant&gt;/oauth2/v2.0/token.</summary>
    public string? TokenEndpoint { get; set; }

    /// <summary>The OAuth client's id.</summary>
    public string? ClientId { get; set; }

    /// <summary>The client's secret (client-credentials grant, or with a refresh token where the provider wants one).</summary>
    public string? ClientSecret { get; set; }

    /// <summary>A refresh token obtained once for the sending mailbox (refresh-token grant).</summary>
    public string? RefreshToken { get; set; }

    /// <summary>The scope to ask for, e.g. https://outlook.office365.com/.default; optional.</summary>
    public string? Scope { get; set; }

    public bool Configured => !string.IsNullOrWhiteSpace(TokenEndpoint) || !string.IsNullOrWhiteSpace(ClientId);
}
