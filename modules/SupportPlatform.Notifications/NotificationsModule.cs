using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SupportPlatform.Core;
using SupportPlatform.Notifications.Api;
using SupportPlatform.Notifications.Contracts;
using SupportPlatform.Notifications.Delivery;
using SupportPlatform.Notifications.Escalation;
using SupportPlatform.Notifications.OnCall;
using SupportPlatform.Notifications.Producers;
using SupportPlatform.Scheduling.Contracts;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Notifications;

/// <summary>Notifications: the one notification service for staff, on-call schedules and escalation policies.</summary>
public sealed class NotificationsModule : IModule
{
    /// <inheritdoc />
    public string Name => "Notifications";

    /// <inheritdoc />
    public void AddServices(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var options = NotificationOptions.Read(configuration);
        var dutyTeam = configuration[$"{NotificationOptions.Section}:DutyManagerTeam"] is { Length: > 0 } team ? team : EscalationService.DefaultDutyManagerTeam;
        services.AddSingleton(options);
        services.AddSingleton<NotificationSignal>();
        services.AddSingleton<PreferenceStore>();
        services.AddSingleton<OnCallStore>();
        services.AddSingleton<IOnCallDirectory>(sp => sp.GetRequiredService<OnCallStore>());
        services.AddSingleton<Notifier>();
        services.AddSingleton<INotifier>(sp => sp.GetRequiredService<Notifier>());
        services.AddHostedService<NotificationDispatcher>();
        services.AddSingleton<PolicyStore>();
        services.AddSingleton(sp => new EscalationService(
            sp.GetRequiredService<IDatabase>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IDeadlineScheduler>(), sp.GetRequiredService<IGrainFactory>(),
            sp.GetRequiredService<INotifier>(), sp.GetRequiredService<IOnCallDirectory>(), options, sp.GetRequiredService<IDataProtectionProvider>(),
            sp.GetRequiredService<ILogger<EscalationService>>())
        {
            DutyManagerTeam = dutyTeam,
        });
        services.AddSingleton<NotificationFeedback>();
        services.AddSingleton<SupportPlatform.Sdk.Notifications.INotificationFeedback>(sp => sp.GetRequiredService<NotificationFeedback>());
        services.AddSingleton<ITicketCommitParticipant, TicketNotifications>();
        services.AddSingleton<ITicketObserver, EscalationFlush>();
        services.AddSingleton<SupportPlatform.Accounts.Contracts.IAllowanceObserver, AllowanceNotifications>();
        services.AddHostedService<PluginProblemNotifications>();
    }

    /// <inheritdoc />
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapNotificationsApi();
        endpoints.MapOnCallApi();
        endpoints.MapEscalationApi();
    }
}

/// <summary>After a ticket change commits, arms the escalation deadlines its transaction wrote, and wakes the dispatcher.</summary>
internal sealed class EscalationFlush(EscalationService escalations, INotifier notifier) : ITicketObserver
{
    public async Task OnTicketChangedAsync(TicketChange change, CancellationToken cancellationToken)
    {
        notifier.Wake();
        await escalations.FlushAsync(cancellationToken);
    }
}
