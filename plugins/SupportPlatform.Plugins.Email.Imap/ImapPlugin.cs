using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Mail;

namespace SupportPlatform.Plugins.Email.Imap;

/// <summary>
/// The IMAP mail adapter: one poller (background service) and one health check per mailbox configured under
/// <c>Plugins:email-imap:mailboxes</c>, each handing mail to the host's <see cref="IInboundMailSink"/>.
/// </summary>
public sealed class ImapPlugin : IPlugin
{
    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(context);
        var mailboxes = ImapSettings.Read(context.Configuration);
        var cursors = new UidCursorStore(Path.Combine(context.DataFolder, "cursors"));
        services.AddSingleton(cursors);
        // One client for every token endpoint; its pooled connections are renewed so DNS changes are seen.
        services.AddSingleton(_ => new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = TimeSpan.FromSeconds(30),
        });

        foreach (var mailbox in mailboxes)
        {
            var health = new MailboxHealth(mailbox);
            services.AddSingleton<IPluginHealthCheck>(new MailboxHealthCheck(health));
            services.AddSingleton<IPluginBackgroundService>(provider => new MailboxPoller(
                mailbox,
                health,
                provider.GetRequiredService<IInboundMailSink>(),
                cursors,
                mailbox.OAuth2 is null ? null : new OAuth2TokenSource(mailbox.OAuth2, provider.GetRequiredService<HttpClient>(), provider.GetRequiredService<TimeProvider>()),
                provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<ILogger<MailboxPoller>>()));
        }
    }
}
