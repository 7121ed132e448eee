using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk;

namespace SupportPlatform.Plugins.Email.Smtp;

/// <summary>
/// The SMTP receiver: one listener (background service and health check) configured under <c>Plugins:email-smtp</c>,
/// handing every message to the host's <c>IInboundMailSink</c>.
/// </summary>
public sealed class SmtpPlugin : IPlugin
{
    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(context);
        services.AddSingleton(SmtpSettings.Read(context.Configuration));
        services.AddSingleton<SmtpListener>();
        services.AddSingleton<IPluginBackgroundService>(provider => provider.GetRequiredService<SmtpListener>());
        services.AddSingleton<IPluginHealthCheck>(provider => provider.GetRequiredService<SmtpListener>());
    }
}
