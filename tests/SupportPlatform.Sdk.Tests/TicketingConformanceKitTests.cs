using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk.Testing;
using SupportPlatform.Sdk.Testing.Conformance;
using SupportPlatform.Sdk.Ticketing;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.Sdk.Tests;

/// <summary>The ticketing-adapter checks themselves: each fails for an adapter that breaks the rule it checks.</summary>
public sealed class TicketingConformanceKitTests
{
    [Fact]
    public async Task CarelessAdapter_EveryBrokenRuleReported()
    {
        await using var harness = PluginHarness.Create(new CarelessDeskPlugin(), o => o.PluginId = "careless-desk");
        var adapter = (CarelessAdapter)harness.TicketingAdapters.Single();

        var report = await TicketingAdapterConformance.RunAsync(harness, new TicketingScenario
        {
            RateLimitNextRequest = () => adapter.RateLimited = true,
            Notification = h => h.PostJson("/", """{"ticket_id":"1"}"""),
            Authenticate = (_, r) => r.WithHeader("X-Secret", "right"),
            Forge = (_, r) => r.WithHeader("X-Secret", "wrong"),
            MaxPages = 10,
        });

        var failed = report.Failures.Select(f => f.Check).ToList();
        Assert.Contains("names its help desk", failed);
        Assert.Contains("pages through every organisations to the end", failed);
        Assert.Contains("lists each of the users once", failed);
        Assert.Contains("ends the tickets (incremental export) with a cursor to continue from", failed);
        Assert.Contains("reads a page of tickets (incremental export) again with the same cursor, with the same records", failed);
        Assert.Contains("surfaces a 429 as TicketingApiException with RetryAfter", failed);
        Assert.Contains("refuses a notification with a forged signature or wrong secret, queueing nothing", failed);
        Assert.Contains("refuses a notification without credentials, queueing nothing", failed);
        Assert.Contains("does not answer 2xx when the sync queue cannot be written", failed);
        var ex = Assert.Throws<ConformanceException>(report.ThrowIfFailed);
        Assert.Contains("FAIL [ticketing-adapter] surfaces a 429", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoAdapterRegistered_Reported()
    {
        await using var harness = PluginHarness.Create(new EmptyPlugin(), o => o.PluginId = "empty");
        var report = await TicketingAdapterConformance.RunAsync(harness, new TicketingScenario
        {
            RateLimitNextRequest = () => { },
            Notification = h => h.PostJson("/", "{}"),
            Authenticate = (_, r) => r,
            Forge = (_, r) => r,
        });

        Assert.Contains("0 registered", Assert.Single(report.Failures).Detail, StringComparison.Ordinal);
    }

    public sealed class EmptyPlugin : IPlugin
    {
        public void ConfigureServices(IServiceCollection services, PluginContext context)
        {
        }
    }

    public sealed class CarelessDeskPlugin : IPlugin
    {
        public void ConfigureServices(IServiceCollection services, PluginContext context)
        {
            services.AddSingleton<CarelessAdapter>();
            services.AddSingleton<ITicketingAdapter>(sp => sp.GetRequiredService<CarelessAdapter>());
            services.AddSingleton<IWebhookHandler, TrustingWebhook>();
        }
    }

    /// <summary>Loops on its organisations' cursor, repeats users, ends the export without a cursor, changes a page on a re-read, hides the 429.</summary>
    internal sealed class CarelessAdapter : ITicketingAdapter
    {
        private int reads;

        public bool RateLimited { get; set; }

        public string System => "Careless Desk";

        public Task<TicketingPage<ExternalOrganization>> ListOrganizationsAsync(string? cursor, CancellationToken cancellationToken)
        {
            if (RateLimited)
            {
                RateLimited = false;
                throw new HttpRequestException("429 Too Many Requests");
            }

            return Task.FromResult(new TicketingPage<ExternalOrganization> { Items = [new ExternalOrganization { Id = "o1", Name = "Org" }], NextCursor = "same" });
        }

        public Task<TicketingPage<ExternalUser>> ListUsersAsync(string? cursor, CancellationToken cancellationToken) =>
            Task.FromResult(cursor is null
                ? new TicketingPage<ExternalUser> { Items = [new ExternalUser { Id = "u1", Name = "A" }], NextCursor = "2" }
                : new TicketingPage<ExternalUser> { Items = [new ExternalUser { Id = "u1", Name = "A" }], EndOfStream = true });

        public Task<TicketingPage<ExternalTicket>> ListChangedTicketsAsync(string? cursor, DateTimeOffset since, CancellationToken cancellationToken)
        {
            var n = Interlocked.Increment(ref reads);
            return Task.FromResult(cursor is null
                ? new TicketingPage<ExternalTicket> { Items = [Ticket("1")], NextCursor = "p2" }
                : new TicketingPage<ExternalTicket> { Items = [Ticket($"{n}0")], EndOfStream = true });
        }

        public Task<ExternalTicket?> GetTicketAsync(string ticketId, CancellationToken cancellationToken) => Task.FromResult<ExternalTicket?>(Ticket(ticketId));

        public Task<IReadOnlyList<ExternalComment>> ListCommentsAsync(string ticketId, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<ExternalComment>>([]);

        public Task<Stream> OpenAttachmentAsync(ExternalAttachment attachment, CancellationToken cancellationToken) => Task.FromResult<Stream>(new MemoryStream());

        public Task<string> AddCommentAsync(string ticketId, ExternalCommentDraft comment, CancellationToken cancellationToken) => Task.FromResult("c1");

        public Task<ExternalTicket> UpdateTicketAsync(string ticketId, ExternalTicketUpdate update, CancellationToken cancellationToken) => Task.FromResult(Ticket(ticketId));

        private static ExternalTicket Ticket(string id) => new()
        {
            Id = id, RequesterId = "u1", Subject = "s", Status = ExternalTicketStatus.Open, CreatedAt = DateTimeOffset.UnixEpoch, UpdatedAt = DateTimeOffset.UnixEpoch,
        };
    }

    /// <summary>Queues whatever arrives, with or without the secret, and answers 200 even when the queue failed.</summary>
    private sealed class TrustingWebhook(ITicketingSink sink) : IWebhookHandler
    {
        public async Task<WebhookResponse> HandleAsync(WebhookRequest request, CancellationToken cancellationToken)
        {
            try
            {
                await sink.TicketChangedAsync("Careless Desk", "1", cancellationToken);
            }
            catch (HostServiceUnavailableException)
            {
                // Swallowed: the notification is lost.
            }

            return WebhookResponse.Text(200, "ok");
        }
    }
}
