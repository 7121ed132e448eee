using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SupportPlatform.Core;
using SupportPlatform.Core.Security;
using SupportPlatform.LiveQueue.Contracts;
using SupportPlatform.LiveQueue.Hubs;
using SupportPlatform.LiveQueue.Publishing;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.LiveQueue;

/// <summary>Live queue: the SignalR hub at <c>/hubs/live</c> (staff only), the cluster-wide fan-out, <see cref="ILiveQueuePublisher"/>.</summary>
public sealed class LiveQueueModule : IModule
{
    /// <summary>Where the hub is served.</summary>
    public const string HubPath = "/hubs/live";

    /// <inheritdoc />
    public string Name => "LiveQueue";

    /// <inheritdoc />
    public void AddServices(IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddOptions<LiveQueueOptions>()
            .Bind(configuration.GetSection(LiveQueueOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LiveQueueOptions>, OptionsValidator>());

        services.AddSignalR(hub =>
            {
                // One invocation at a time per client (SignalR's default, stated because the hub's per-connection state
                // relies on it); small messages only: clients send subscriptions and typing flags.
                hub.MaximumParallelInvocationsPerClient = 1;
                hub.MaximumReceiveMessageSize = 4 * 1024;
            })
            .AddJsonProtocol(json => json.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower)));

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new LiveQueueMetrics(sp.GetService<IMeterFactory>()));
        services.AddSingleton<LiveRelay>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<LiveRelay>());
        services.AddSingleton<LiveQueuePublisher>();
        services.AddSingleton<ILiveQueuePublisher>(sp => sp.GetRequiredService<LiveQueuePublisher>());
        services.AddHostedService(sp => sp.GetRequiredService<LiveQueuePublisher>());
        services.AddSingleton<ITicketObserver, TicketChangeObserver>();
    }

    /// <inheritdoc />
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<LiveQueueOptions>>().Value;
        endpoints.MapHub<LiveHub>(HubPath, connection =>
        {
            // What the server holds for a client that does not read: past this a push waits, and after SendTimeout
            // the connection is closed (LiveRelay). Other clients never wait for it.
            connection.TransportMaxBufferSize = options.SendBufferBytes;
            // A single socket send that takes longer also closes the connection (SignalR's own guard, default 10 s).
            connection.TransportSendTimeout = options.SendTimeout;
            // What a client may send before the server stops reading from it.
            connection.ApplicationMaxBufferSize = 16 * 1024;
        }).RequireAuthorization(PlatformPolicies.Staff); // staff only, stated rather than left to the fallback policy
    }

    private sealed class OptionsValidator : IValidateOptions<LiveQueueOptions>
    {
        public ValidateOptionsResult Validate(string? name, LiveQueueOptions options)
        {
            var errors = options.Validate().ToList();
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
