using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Testing;
using SupportPlatform.Sdk.Testing.Conformance;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Plugins.Ticketing.Tests;

/// <summary>
/// The SDK's ticketing-adapter conformance kit run against both shipped adapters, as a third-party author runs it
/// against theirs: each plugin loaded from its build folder into the kit's harness, pointed at its own fake help desk
/// holding 3 organisations, 3 end users and 3 tickets, 2 records a page.
/// </summary>
public sealed class TicketingConformanceTests
{
    private const string Secret = "conformance-secret-0123456789";
    private static readonly DateTimeOffset Start = new(2026, 9, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Zendesk_AdapterAndWebhook_Conform()
    {
        await using var zendesk = await FakeZendesk.StartAsync();
        for (var i = 1; i <= 3; i++)
        {
            zendesk.Organizations.Add(new JsonObject { ["id"] = 10 + i, ["name"] = $"Org {i}", ["domain_names"] = new JsonArray() });
            zendesk.AddUser(20 + i, $"User {i}", $"user{i}@org{i}.example", 10 + i);
            zendesk.AddTicket(30 + i, 20 + i, 10 + i, $"Ticket {i}", "normal", Start.AddDays(i), $"Problem {i}.");
            zendesk.AddComment(30 + i, 20 + i, $"More about {i}.", true, Start.AddDays(i).AddHours(1));
        }

        await using var harness = PluginHarness.Create(Load("zendesk", "SupportPlatform.Plugins.Ticketing.Zendesk"), o =>
        {
            o.PluginId = "zendesk";
            o.Settings["url"] = zendesk.Url.ToString();
            o.Settings["email"] = FakeZendesk.ApiEmail;
            o.Settings["apiToken"] = FakeZendesk.ApiToken;
            o.Settings["webhookSecret"] = Secret;
            o.Settings["pageSize"] = "2";
        });

        static WebhookRequest Sign(WebhookRequest request, string secret)
        {
            var timestamp = FakeZendesk.Iso(DateTimeOffset.UtcNow);
            var signed = Encoding.UTF8.GetBytes(timestamp).Concat(request.Body.ToArray()).ToArray();
            return request.WithHeader("X-Zendesk-Webhook-Signature-Timestamp", timestamp)
                .WithHeader("X-Zendesk-Webhook-Signature", Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed)));
        }

        var report = await TicketingAdapterConformance.RunAsync(harness, new TicketingScenario
        {
            RateLimitNextRequest = () => zendesk.RateLimits["/api/v2/organizations.json"] = 1,
            Notification = h => h.PostJson("/", """{"ticket_id":"31"}"""),
            Authenticate = (_, r) => Sign(r, Secret),
            Forge = (_, r) => Sign(r, "not-the-signing-secret-0123"),
            Organizations = 3,
            Users = 3,
            Tickets = 3,
        });

        report.ThrowIfFailed();
        Assert.Contains(harness.Ticketing.Queued, q => q == ("zendesk", "31"));
    }

    [Fact]
    public async Task Freshdesk_AdapterAndWebhook_Conform()
    {
        await using var freshdesk = await FakeFreshdesk.StartAsync();
        for (var i = 1; i <= 3; i++)
        {
            freshdesk.Companies.Add(new JsonObject { ["id"] = 10 + i, ["name"] = $"Company {i}", ["domains"] = new JsonArray() });
            freshdesk.Contacts.Add(new JsonObject { ["id"] = 20 + i, ["name"] = $"Contact {i}", ["email"] = $"contact{i}@company{i}.example", ["company_id"] = 10 + i });
            freshdesk.AddTicket(30 + i, 20 + i, 10 + i, $"Ticket {i}", 2, Start.AddDays(i), $"Problem {i}.");
            freshdesk.AddConversation(30 + i, 20 + i, $"More about {i}.", incoming: true, isPrivate: false, Start.AddDays(i).AddHours(1));
        }

        await using var harness = PluginHarness.Create(Load("freshdesk", "SupportPlatform.Plugins.Ticketing.Freshdesk"), o =>
        {
            o.PluginId = "freshdesk";
            o.Settings["url"] = freshdesk.Url.ToString();
            o.Settings["apiKey"] = FakeFreshdesk.ApiKey;
            o.Settings["webhookSecret"] = Secret;
            o.Settings["pageSize"] = "2";
        });

        var report = await TicketingAdapterConformance.RunAsync(harness, new TicketingScenario
        {
            RateLimitNextRequest = () => freshdesk.RateLimits["/api/v2/companies"] = 1,
            Notification = h => h.PostJson("/", """{"freshdesk_webhook":{"ticket_id":"31"}}"""),
            Authenticate = (_, r) => r.WithHeader("X-Webhook-Secret", Secret),
            Forge = (_, r) => r.WithHeader("X-Webhook-Secret", "a-wrong-shared-secret-0123"),
            Organizations = 3,
            Users = 3,
            Tickets = 3,
        });

        report.ThrowIfFailed();
        Assert.Contains(harness.Ticketing.Queued, q => q == ("freshdesk", "31"));
    }

    /// <summary>
    /// The plugin as the host loads it: from its own folder (copied beside the tests by the build), in a load context
    /// of its own that shares the SDK with the tests.
    /// </summary>
    private static IPlugin Load(string id, string assemblyName)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, $"{id}-plugins", id);
        var context = new AssemblyLoadContext($"conformance-{id}", isCollectible: false);
        var assembly = context.LoadFromAssemblyPath(Path.Combine(folder, assemblyName + ".dll"));
        var type = assembly.GetExportedTypes().Single(t => typeof(IPlugin).IsAssignableFrom(t) && !t.IsAbstract);
        return (IPlugin)Activator.CreateInstance(type)!;
    }
}
