using System.Reflection;
using SupportPlatform.Sdk.Testing;
using SupportPlatform.Sdk.Testing.Conformance;

namespace Contoso.SupportPlugin.Tests;

/// <summary>The SupportPlatform conformance kit: what the host and senders rely on, checked for this plugin.</summary>
public sealed class ConformanceTests
{
    private const string Secret = "a-test-secret-of-32-characters!!";
    private const string Alert = """{"id":"evt-1","system":"web01","check":"disk","state":"critical","at":"2026-01-01T10:00:00Z","summary":"Disk / is full"}""";

    private static readonly string PluginFolder =
        typeof(ConformanceTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PluginFolder").Value!;

    private static PluginHarness Load() => PluginHarness.Create(new Plugin(), options =>
    {
        options.PluginId = "contoso-supportplugin-id";
        options.Settings["secret"] = Secret;
    });

    [Fact]
    public async Task Webhook_Conforms()
    {
        await using var harness = Load();

        var report = await WebhookConformance.RunAsync(harness, new WebhookScenario
        {
            Delivery = h => h.PostJson("/", Alert),
            Authenticate = (_, request) => request.WithHeader("Authorization", "Bearer " + Secret),
            BadRequests = { new("an alert without a system", h => h.PostJson("/", Alert.Replace("\"system\":\"web01\",", "", StringComparison.Ordinal))) },
        });

        report.ThrowIfFailed();
        Assert.Equal("web01", Assert.Single(harness.Alerts.Stored).System);
    }

    [Fact]
    public async Task HealthCheck_Conforms()
    {
        await using var harness = Load();

        (await CapabilityConformance.HealthChecksAsync(harness)).ThrowIfFailed();
    }

    [Fact]
    public async Task Manifest_Conforms()
    {
        await using var harness = Load();

        ManifestConformance.Check(PluginFolder, harness).ThrowIfFailed();
    }
}
