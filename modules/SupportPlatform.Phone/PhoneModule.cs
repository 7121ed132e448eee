using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SupportPlatform.Core;
using SupportPlatform.Phone.Api;
using SupportPlatform.Phone.Notifications;
using SupportPlatform.Phone.Persistence;
using SupportPlatform.Phone.Routing;
using SupportPlatform.Phone.Telephony;

namespace SupportPlatform.Phone;

/// <summary>Phone support: call log, routing, voicemail tickets, counted calls, the telephony host service for adapters.</summary>
public sealed class PhoneModule : IModule
{
    /// <inheritdoc />
    public string Name => "Phone";

    /// <inheritdoc />
    public void AddServices(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddSingleton(PhoneOptions.Read(configuration));
        services.AddSingleton<CallStore>();
        services.AddSingleton<CallRouter>();
        services.AddSingleton<SupportPlatform.Sdk.Telephony.ITelephonyService, TelephonyService>();
        services.AddSingleton<SupportPlatform.Accounts.Contracts.IAllowanceObserver, AllowanceNotifier>();
        services.AddSingleton<IHousekeepingTask, SupportPlatform.Phone.Grains.PendingCallsTask>();
    }

    /// <inheritdoc />
    public void MapEndpoints(IEndpointRouteBuilder endpoints) => endpoints.MapPhoneApi();
}
