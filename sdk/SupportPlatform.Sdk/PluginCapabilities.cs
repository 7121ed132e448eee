namespace SupportPlatform.Sdk;

/// <summary>
/// Well-known capability names, listed in a plugin's manifest (<see cref="PluginManifest.Capabilities"/>, MSBuild
/// property <c>PluginCapabilities</c>) so the host can show what a plugin offers without loading it. Each name
/// matches one capability contract the plugin registers in <see cref="IPlugin.ConfigureServices"/>.
/// </summary>
public static class PluginCapabilities
{
    /// <summary>The plugin registers an <see cref="IPluginHealthCheck"/>.</summary>
    public const string HealthCheck = "health-check";

    /// <summary>The plugin registers an <see cref="IPluginBackgroundService"/>.</summary>
    public const string BackgroundService = "background-service";

    /// <summary>The plugin registers an <see cref="Webhooks.IWebhookHandler"/>, reached at <c>/hooks/&lt;plugin id&gt;/...</c>.</summary>
    public const string Webhook = "webhook";

    /// <summary>The plugin is a telephony adapter: it routes calls and reports call events through <see cref="Telephony.ITelephonyService"/>.</summary>
    public const string Telephony = "telephony";

    /// <summary>The plugin registers a <see cref="Monitoring.IMonitoringAcknowledger"/>: it acknowledges alerts at their source.</summary>
    public const string MonitoringAcknowledgement = "monitoring-acknowledgement";

    /// <summary>The plugin registers a <see cref="Billing.IBillingExporter"/>: it receives issued invoices and credit notes.</summary>
    public const string BillingExport = "billing-export";

    /// <summary>The plugin registers a <see cref="Notifications.INotificationChannel"/>: it delivers staff notifications (chat, SMS, voice).</summary>
    public const string NotificationChannel = "notification-channel";

    /// <summary>The plugin registers a <see cref="Ticketing.ITicketingAdapter"/>: it bridges an existing help desk (import and two-way sync).</summary>
    public const string TicketingAdapter = "ticketing-adapter";
}
