using Microsoft.Extensions.Options;

namespace SupportPlatform.Email.Outbox;

/// <summary>Checks <see cref="EmailOptions"/> at start; each failure names the key.</summary>
internal sealed class EmailOptionsValidator : IValidateOptions<EmailOptions>
{
    public ValidateOptionsResult Validate(string? name, EmailOptions options)
    {
        var errors = new List<string>();
        const string Prefix = EmailOptions.SectionName + ":";
        if (options.From is { } from && !MimeKit.MailboxAddress.TryParse(from, out _))
        {
            errors.Add($"{Prefix}From: '{from}' is not an address such as 'Acme Support <support@msp.example>'.");
        }

        if (options.TeamAddress is { Length: > 0 } team && !MimeKit.MailboxAddress.TryParse(team, out _))
        {
            errors.Add($"{Prefix}TeamAddress: '{team}' is not an email address.");
        }

        if (options.Smtp.Configured && string.IsNullOrWhiteSpace(options.From))
        {
            errors.Add($"{Prefix}From: required when {Prefix}Smtp:Host is set (the sender of every message).");
        }

        if (options.Smtp.Port is < 1 or > 65535)
        {
            errors.Add($"{Prefix}Smtp:Port: {options.Smtp.Port} is not a TCP port (1-65535).");
        }

        if (options.Smtp.Timeout <= TimeSpan.Zero || options.Smtp.Timeout > TimeSpan.FromMinutes(1))
        {
            errors.Add($"{Prefix}Smtp:Timeout: {options.Smtp.Timeout} must be more than zero and at most 00:01:00 (a message is leased for 2 minutes while it is sent).");
        }

        if (options.Smtp.Password is { Length: > 0 } && string.IsNullOrEmpty(options.Smtp.UserName))
        {
            errors.Add($"{Prefix}Smtp:UserName: required when a password is set.");
        }

        if (options.Smtp.OAuth2 is { Configured: true } oauth)
        {
            if (!(Uri.TryCreate(oauth.TokenEndpoint, UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https"))
            {
                errors.Add($"{Prefix}Smtp:OAuth2:TokenEndpoint: '{oauth.TokenEndpoint}' is not the absolute https URL of an OAuth2 token endpoint.");
            }

            if (string.IsNullOrWhiteSpace(oauth.ClientId))
            {
                errors.Add($"{Prefix}Smtp:OAuth2:ClientId: required for XOAUTH2.");
            }

            if (string.IsNullOrWhiteSpace(oauth.ClientSecret) && string.IsNullOrWhiteSpace(oauth.RefreshToken))
            {
                errors.Add($"{Prefix}Smtp:OAuth2: give ClientSecret (client credentials) or RefreshToken (a token obtained once for the mailbox).");
            }

            if (string.IsNullOrWhiteSpace(options.Smtp.UserName))
            {
                errors.Add($"{Prefix}Smtp:UserName: required with OAuth2 (the mailbox the token signs in as).");
            }

            if (!string.IsNullOrEmpty(options.Smtp.Password))
            {
                errors.Add($"{Prefix}Smtp:Password: give a password or OAuth2, not both.");
            }
        }

        if (options.PublicUrl is { Length: > 0 } url && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            errors.Add($"{Prefix}PublicUrl: '{url}' is not an absolute http(s) address.");
        }

        if (options.GiveUpAfter <= TimeSpan.Zero || options.PollInterval <= TimeSpan.Zero)
        {
            errors.Add($"{Prefix}GiveUpAfter and {Prefix}PollInterval must be positive durations.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
