using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk.Monitoring;
using SupportPlatform.Sdk.Testing;
using SupportPlatform.Sdk.Testing.Conformance;
using SupportPlatform.Sdk.Webhooks;
using SupportPlatform.Testing;

namespace SupportPlatform.Sdk.Tests;

/// <summary>The kit itself: each check fails for a plugin that breaks the rule it checks.</summary>
public sealed class ConformanceKitTests
{
    private const string Payload = """{"system":"web01"}""";

    [Fact]
    public async Task Webhook_CarelessPlugin_EveryRuleReported()
    {
        await using var harness = PluginHarness.Create(new CarelessPlugin(), o => o.PluginId = "careless");

        var report = await WebhookConformance.RunAsync(harness, new WebhookScenario
        {
            Delivery = h => h.PostJson("/", Payload),
            Authenticate = (_, r) => r.WithHeader("Authorization", "Bearer anything"),
        });

        var failed = report.Failures.Select(f => f.Check).ToList();
        Assert.Contains("a cancelled request is not answered as handled and stores nothing", failed);
        Assert.Contains("answers 5xx with a reason when the host service fails (the sender retries)", failed);
        Assert.Contains("refuses a delivery without credentials with 401/403 and a reason", failed);
        Assert.Contains("answers a body that is not a payload with 4xx and a reason", failed);
        Assert.Contains("answers a GET with 4xx and a reason", failed);
        Assert.Contains("stores the same delivery once (a sender's retry is harmless)", failed);
        var ex = Assert.Throws<ConformanceException>(report.ThrowIfFailed);
        Assert.Contains("FAIL [webhook] answers a body that is not a payload", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Capabilities_StuckServiceThrowingHealthCheckIgnoringAcknowledger_Reported()
    {
        await using var harness = PluginHarness.Create(new CarelessPlugin(), o => o.PluginId = "careless");

        var report = new ConformanceReport()
            .Add(await CapabilityConformance.BackgroundServicesAsync(harness, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(300)))
            .Add(await CapabilityConformance.HealthChecksAsync(harness, TimeSpan.FromSeconds(1)))
            .Add(await CapabilityConformance.AcknowledgersAsync(harness));

        var failed = report.Failures.Select(f => f.Check).ToList();
        Assert.Contains("StuckService stops when cancelled", failed);
        Assert.Contains("ThrowingHealthCheck answers, saying why when not healthy", failed);
        Assert.Contains("IgnoringAcknowledger honours cancellation", failed);
    }

    [Fact]
    public async Task Manifest_IncompatibleSdkUnknownCapabilityAndUndeclaredWebhook_Reported()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(Path.Combine(folder.Path, "plugin.json"), JsonSerializer.Serialize(new
        {
            id = "careless",
            name = "Careless",
            version = "1.0.0",
            capabilities = new[] { "health-check", "teleportation" },
            sdkVersion = $"{SdkVersion.Major}.{SdkVersion.Minor + 1}",
            entryAssembly = "Careless.dll",
            configSchema = (object?)null,
        }));
        await using var harness = PluginHarness.Create(new CarelessPlugin(), o => o.PluginId = "careless");

        var failed = ManifestConformance.Check(folder.Path, harness).Failures.Select(f => f.Check).ToList();

        Assert.Contains($"the SDK version loads in a host of SDK {SdkVersion.Text}", failed);
        Assert.Contains("the entry assembly is in the folder", failed);
        Assert.Contains("every capability is a known name", failed);
        Assert.Contains("declares 'webhook' exactly when it registers an IWebhookHandler", failed);
        Assert.Contains("declares 'background-service' exactly when it registers an IPluginBackgroundService", failed);
    }

    /// <summary>A plugin that breaks every rule the kit checks.</summary>
    public sealed class CarelessPlugin : IPlugin
    {
        public void ConfigureServices(IServiceCollection services, PluginContext context)
        {
            services.AddSingleton<IWebhookHandler, CarelessWebhook>();
            services.AddSingleton<IPluginBackgroundService, StuckService>();
            services.AddSingleton<IPluginHealthCheck, ThrowingHealthCheck>();
            services.AddSingleton<IMonitoringAcknowledger, IgnoringAcknowledger>();
        }
    }

    private sealed class CarelessWebhook(IMonitoringAlertSink sink) : IWebhookHandler
    {
        public async Task<WebhookResponse> HandleAsync(WebhookRequest request, CancellationToken cancellationToken)
        {
            if (request.Method == "GET")
            {
                return WebhookResponse.Status(200);
            }

            if (request.Body.Length == 0)
            {
                return WebhookResponse.Text(400, "empty");
            }

            using var json = JsonDocument.Parse(request.Body); // throws on a bad body
            try
            {
                await sink.SubmitAsync(
                    [new MonitoringAlert
                    {
                        Source = "careless", System = json.RootElement.GetProperty("system").GetString()!, State = AlertState.Critical,
                        DedupKey = Guid.NewGuid().ToString(), OccurredAt = DateTimeOffset.UtcNow, Summary = "careless",
                    }],
                    CancellationToken.None);
            }
            catch (OperationCanceledException)
            {
            }

            return WebhookResponse.Text(200, Encoding.UTF8.GetString(request.Body.Span));
        }
    }

    private sealed class StuckService : IPluginBackgroundService
    {
        public Task RunAsync(CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, CancellationToken.None);
    }

    private sealed class ThrowingHealthCheck : IPluginHealthCheck
    {
        public Task<PluginHealthResult> CheckAsync(CancellationToken cancellationToken) => throw new InvalidOperationException("broken");
    }

    private sealed class IgnoringAcknowledger : IMonitoringAcknowledger
    {
        public string Source => "careless";

        public Task<string> AcknowledgeAsync(AlertAcknowledgement acknowledgement, CancellationToken cancellationToken) => Task.FromResult("done anyway");
    }
}
