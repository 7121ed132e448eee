using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.HttpOverrides;
using OpenTelemetry.Metrics;
using SupportPlatform.Core;
using SupportPlatform.Plugins.Hosting;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Host.Hosting;

/// <summary>The composition root: wires configuration, storage, the silo, modules, plugins and the HTTP surface.</summary>
internal static class PlatformHost
{
    /// <summary>Meter names the Prometheus endpoint exports besides ASP.NET Core and the runtime.</summary>
    private static readonly string[] Meters = ["Microsoft.Orleans", "SupportPlatform.*"];

    public static WebApplicationBuilder AddSupportPlatform(this WebApplicationBuilder builder)
    {
        var platform = PlatformConfiguration.Load(builder.Configuration, builder.Environment.ContentRootPath);
        var services = builder.Services;
        services.AddSingleton(platform);
        services.AddSingleton(new PlatformPaths(platform.DataPath));
        services.AddSingleton(TimeProvider.System);

        services.AddSupportPlatformStorage(platform.Database);
        // The host lock first (a running restore stops the start here), then migrations, then the silo.
        services.AddHostedService<HostLockService>();
        // Migrations must finish before the silo starts: hosted services start in registration order.
        services.AddHostedService<DatabaseMigrationService>();
        builder.UseOrleans(silo => silo.UseSupportPlatformStorage(platform.Database, platform.Cluster));

        var modules = ModuleCatalog.Discover();
        services.AddSingleton(modules);
        foreach (var module in modules)
        {
            module.AddServices(services, builder.Configuration, builder.Environment);
        }

        services.AddSupportPlatformPlugins(options =>
        {
            options.PluginsPath = platform.PluginsPath;
            options.DataFolder = platform.DataPath;
        });
        services.AddSingleton<PluginCapabilities>();
        services.AddSingleton<SupportPlatform.Core.Plugins.IPluginCapabilities>(sp => sp.GetRequiredService<PluginCapabilities>());
        services.AddSingleton<SupportPlatform.Core.Plugins.IPluginProblems>(sp => sp.GetRequiredService<PluginCapabilities>());
        services.AddHostedService<PluginFailureNotifier>();

        services.AddProblemDetails();
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.AddExceptionHandler<DatabaseUnavailableExceptionHandler>();
        // Always throw on unreadable requests so BadRequestExceptionHandler can say what was wrong (the default outside
        // Development is a bare 400 with no detail).
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        // One JSON convention for every module's API: camelCase members, enums as kebab-case strings ("pending-client").
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower)));
        services.AddOpenApi();
        services.AddHealthChecks()
            .AddCheck<StorageHealthCheck>("storage", tags: ["ready"])
            .AddCheck<SiloHealthCheck>("silo", tags: ["ready"])
            // A failed plugin degrades readiness (still HTTP 200): the node keeps serving everything else.
            .AddPluginsHealthCheck(tags: ["ready"]);
        var metricsSection = builder.Configuration.GetSection(MetricsOptions.Section);
        MetricsAccess.Validate(metricsSection.Get<MetricsOptions>() ?? new MetricsOptions());
        services.Configure<MetricsOptions>(metricsSection);
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationHandler, MetricsAccess>();
        services.AddAuthorizationBuilder().AddPolicy(MetricsAccess.Policy, policy => policy.AddRequirements(new MetricsAccess.Requirement()));
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddAspNetCoreInstrumentation()
            .AddRuntimeInstrumentation()
            .AddMeter(Meters)
            .AddPrometheusExporter());
        return builder;
    }

    public static WebApplication MapSupportPlatform(this WebApplication app)
    {
        var platform = app.Services.GetRequiredService<PlatformConfiguration>();
        if (platform.TrustedProxies.Count > 0 || platform.TrustedNetworks.Count > 0)
        {
            // Behind a reverse proxy: the client's address (rate limits, lockout, audit) and scheme come from the
            // proxy's headers, believed only from the configured proxies. Host is not taken from headers (links and
            // webhook URLs use the configured public URL instead).
            var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto };
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in platform.TrustedProxies)
            {
                forwarded.KnownProxies.Add(proxy);
            }

            foreach (var network in platform.TrustedNetworks)
            {
                forwarded.KnownIPNetworks.Add(network);
            }

            app.UseForwardedHeaders(forwarded);
        }

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseDefaultFiles();
        // Static files (the landing page, the console's and portal's assets) are public and served before routing;
        // everything after routing is checked by authorization (the identity module's middleware).
        app.UseStaticFiles();
        app.UseRouting();
        var modules = app.Services.GetRequiredService<IReadOnlyList<IModule>>();
        foreach (var module in modules)
        {
            module.ConfigurePipeline(app);
        }

        // OpenAPI is for staff (the fallback policy); metrics for staff, the scrape token or loopback (MetricsAccess);
        // health stays anonymous for load balancers and probes.
        app.MapOpenApi();
        app.MapPrometheusScrapingEndpoint(MetricsAccess.Path).RequireAuthorization(MetricsAccess.Policy);
        app.MapHealthChecks("/health/live", new HealthCheckOptions
        {
            // Liveness: the process answers HTTP. Dependencies belong to readiness, or a database outage would restart us.
            Predicate = _ => false,
            ResponseWriter = HealthReportWriter.WriteAsync,
        }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = HealthReportWriter.WriteAsync,
        }).AllowAnonymous();

        app.MapPluginsApi();
        app.MapPluginWebhooks();
        foreach (var module in modules)
        {
            module.MapEndpoints(app);
        }

        app.Lifetime.ApplicationStarted.Register(() => AnnounceUrls(app));
        return app;
    }

    private static void AnnounceUrls(WebApplication app)
    {
        var platform = app.Services.GetRequiredService<PlatformConfiguration>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SupportPlatform");
        logger.LogInformation(
            "SupportPlatform is ready at {Urls} (database: {Provider}, data folder: {DataPath}, plugins: {PluginsPath})",
            string.Join(", ", app.Urls), platform.Database.Provider, platform.DataPath, platform.PluginsPath);
    }
}
