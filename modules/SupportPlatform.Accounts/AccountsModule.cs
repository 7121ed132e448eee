using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SupportPlatform.Accounts.Api;
using SupportPlatform.Accounts.Grains;
using SupportPlatform.Core;

namespace SupportPlatform.Accounts;

/// <summary>Client accounts and their contracts.</summary>
public sealed class AccountsModule : IModule
{
    /// <inheritdoc />
    public string Name => "Accounts";

    /// <inheritdoc />
    public void AddServices(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddSingleton<AccountStore>();
        services.AddSingleton<AllowanceStore>();
        services.AddSingleton<SupportPlatform.Accounts.Contracts.IBillableLines>(sp => sp.GetRequiredService<AllowanceStore>());
        services.AddSingleton<SupportPlatform.Accounts.Contracts.IAccountPhoneDirectory>(sp => sp.GetRequiredService<AllowanceStore>());
        services.AddSingleton<SupportPlatform.Accounts.Contracts.IAccountDirectory>(sp => sp.GetRequiredService<AccountStore>());
    }

    /// <inheritdoc />
    public void MapEndpoints(IEndpointRouteBuilder endpoints) => endpoints.MapAccountsApi();
}
