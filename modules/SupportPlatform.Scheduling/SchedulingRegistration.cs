using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SupportPlatform.Scheduling.Contracts;
using SupportPlatform.Scheduling.Data;

namespace SupportPlatform.Scheduling;

/// <summary>The module's services; the host calls it through <see cref="SchedulingModule"/>, tests and benchmarks directly.</summary>
internal static class SchedulingRegistration
{
    public static IServiceCollection AddScheduling(this IServiceCollection services, IConfiguration? configuration = null, Action<DeadlineSchedulerOptions>? configure = null)
    {
        var builder = services.AddOptions<DeadlineSchedulerOptions>();
        if (configuration is not null)
        {
            builder.Bind(configuration.GetSection(DeadlineSchedulerOptions.SectionName));
        }

        if (configure is not null)
        {
            builder.Configure(configure);
        }

        builder.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DeadlineSchedulerOptions>, DeadlineSchedulerOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new SchedulingMetrics(sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<DeadlineStore>();
        services.TryAddSingleton<IDeadlineScheduler, DeadlineScheduler>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, DeadlineShardStarter>();
        return services;
    }

    private sealed class DeadlineSchedulerOptionsValidator : IValidateOptions<DeadlineSchedulerOptions>
    {
        public ValidateOptionsResult Validate(string? name, DeadlineSchedulerOptions options)
        {
            try
            {
                options.Validate();
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentException ex)
            {
                return ValidateOptionsResult.Fail(ex.Message);
            }
        }
    }
}
