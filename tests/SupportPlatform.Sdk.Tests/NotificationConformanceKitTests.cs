using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Plugins.Notifications.ChatWebhook;
using SupportPlatform.Sdk.Notifications;
using SupportPlatform.Sdk.Testing;
using SupportPlatform.Sdk.Testing.Conformance;
using SupportPlatform.Testing;

namespace SupportPlatform.Sdk.Tests;

/// <summary>
/// The notification channel kit against the repository's chat webhook plugin posting to a loopback endpoint, and the
/// kit's checks themselves: each fails for a channel that breaks the rule it checks.
/// </summary>
public sealed class NotificationConformanceKitTests
{
    [Fact]
    public async Task ChatWebhook_PassesTheKit_AndRemembersDeliveriesAcrossARestart()
    {
        using var endpoint = new ChatEndpoint();
        using var data = new TempDirectory("sp-chat-conformance-");
        void Configure(PluginHarnessOptions o)
        {
            o.PluginId = "chat-webhook";
            o.DataFolder = data.Path;
            o.Settings["targets:ops:url"] = endpoint.Url;
            o.Settings["timeoutSeconds"] = "60"; // longer than the kit waits: only the token can end a stalled post
        }

        await using (var harness = PluginHarness.Create(new ChatWebhookPlugin(), Configure))
        {
            var report = await NotificationChannelConformance.RunAsync(harness, endpoint.Scenario());
            report.ThrowIfFailed();
            Assert.Equal(6, report.Results.Count);
        }

        // A restarted plugin (same data folder) still answers a delivery it posted before without posting it again.
        await using var restarted = PluginHarness.Create(new ChatWebhookPlugin(), Configure);
        var channel = restarted.Services.GetServices<INotificationChannel>().Single();
        var message = new NotificationMessage("restart-1", "new-ticket", "u1", "Ann", null, "New ticket", "text", null, false);
        var before = endpoint.Accepted;
        Assert.True((await channel.SendAsync(message, CancellationToken.None)).Delivered);
        Assert.Equal(before + 1, endpoint.Accepted);

        await using var again = PluginHarness.Create(new ChatWebhookPlugin(), Configure);
        Assert.True((await again.Services.GetServices<INotificationChannel>().Single().SendAsync(message, CancellationToken.None)).Delivered);
        Assert.Equal(before + 1, endpoint.Accepted);
    }

    [Fact]
    public async Task CarelessChannel_EveryBrokenRuleReported()
    {
        using var endpoint = new ChatEndpoint();
        await using var harness = PluginHarness.Create(new BrokenPlugin(poisoning: false, endpoint.Url), o => o.PluginId = "careless");
        var report = await NotificationChannelConformance.RunAsync(harness, endpoint.Scenario());

        var failed = report.Failures.Select(f => f.Check).ToList();
        Assert.Contains("names a known channel", failed);
        Assert.Contains("delivers a delivery id sent twice once", failed);
        Assert.Contains("reports a failing provider as a failed result with the reason", failed);
        Assert.Contains("sends nothing when its token is already cancelled", failed);
        Assert.Contains("stops promptly when cancelled while the provider does not answer", failed);
        Assert.DoesNotContain("delivers the same delivery once the provider works again", failed);
        var ex = Assert.Throws<ConformanceException>(report.ThrowIfFailed);
        Assert.Contains("FAIL [notification-channel] delivers a delivery id sent twice once", ex.Message, StringComparison.Ordinal);
        Assert.Contains("threw HttpRequestException", report.Failures.Single(f => f.Check.StartsWith("reports a failing", StringComparison.Ordinal)).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChannelRememberingFailedAttempts_RetryReported()
    {
        using var endpoint = new ChatEndpoint();
        await using var harness = PluginHarness.Create(new BrokenPlugin(poisoning: true, endpoint.Url), o => o.PluginId = "poisoning");
        var report = await NotificationChannelConformance.RunAsync(harness, endpoint.Scenario());

        var failure = Assert.Single(report.Failures);
        Assert.Equal("delivers the same delivery once the provider works again", failure.Check);
        Assert.Contains("the provider accepted 0", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoChannelRegistered_Reported()
    {
        using var endpoint = new ChatEndpoint();
        await using var harness = PluginHarness.Create(new TicketingConformanceKitTests.EmptyPlugin(), o => o.PluginId = "empty");
        var report = await NotificationChannelConformance.RunAsync(harness, endpoint.Scenario());
        Assert.Contains("no INotificationChannel", Assert.Single(report.Failures).Detail, StringComparison.Ordinal);
    }

    /// <summary>
    /// Careless: an unknown channel name, posts every send (no memory of ids), throws on a refusal, ignores its token.
    /// Poisoning: otherwise correct, but remembers an id before posting, so a failed attempt is never retried.
    /// </summary>
    private sealed class BrokenPlugin(bool poisoning, string url) : IPlugin
    {
        public void ConfigureServices(IServiceCollection services, PluginContext context) =>
            services.AddSingleton<INotificationChannel>(poisoning ? new PoisoningChannel(url) : new CarelessChannel(url));
    }

    private sealed class CarelessChannel(string url) : INotificationChannel, IDisposable
    {
        private readonly HttpClient client = new();

        public string Channel => "slack";

        public async Task<NotificationSendResult> SendAsync(NotificationMessage message, CancellationToken cancellationToken)
        {
            using var response = await client.PostAsJsonAsync(url, new { text = message.Subject }, CancellationToken.None);
            response.EnsureSuccessStatusCode();
            return NotificationSendResult.Ok();
        }

        public void Dispose() => client.Dispose();
    }

    private sealed class PoisoningChannel(string url) : INotificationChannel, IDisposable
    {
        private readonly HttpClient client = new();
        private readonly HashSet<string> seen = [];

        public string Channel => NotificationChannels.Chat;

        public async Task<NotificationSendResult> SendAsync(NotificationMessage message, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            lock (seen)
            {
                if (!seen.Add(message.Id))
                {
                    return NotificationSendResult.Ok();
                }
            }

            using var response = await client.PostAsJsonAsync(url, new { text = message.Subject }, cancellationToken);
            return response.IsSuccessStatusCode ? NotificationSendResult.Ok() : NotificationSendResult.Failed($"answered {(int)response.StatusCode}");
        }

        public void Dispose() => client.Dispose();
    }

    /// <summary>A loopback stand-in for a chat tool's incoming webhook: counts what it accepts, can fail (500) or hang.</summary>
    private sealed class ChatEndpoint : IDisposable
    {
        private readonly HttpListener listener = new();
        private readonly CancellationTokenSource stop = new();
        private readonly Task loop;
        private int accepted;
        private volatile bool failing;
        private volatile bool stalling;

        public ChatEndpoint()
        {
            var port = SupportPlatform.Testing.Host.PlatformFactory.FreePort();
            Url = $"http://127.0.0.1:{port}/hook";
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            listener.Start();
            loop = Task.Run(RunAsync);
        }

        public string Url { get; }

        public int Accepted => Volatile.Read(ref accepted);

        public NotificationScenario Scenario() => new()
        {
            AcceptedCount = () => Accepted,
            FailProvider = fail => failing = fail,
            StallProvider = stall => stalling = stall,
        };

        public void Dispose()
        {
            stop.Cancel();
            listener.Stop();
            listener.Close();
            try
            {
                loop.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
            }

            stop.Dispose();
        }

        private async Task RunAsync()
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                _ = Task.Run(() => AnswerAsync(context));
            }
        }

        private async Task AnswerAsync(HttpListenerContext context)
        {
            try
            {
                using var reader = new StreamReader(context.Request.InputStream);
                await reader.ReadToEndAsync();
                if (stalling)
                {
                    await Task.Delay(Timeout.Infinite, stop.Token);
                }

                if (failing)
                {
                    context.Response.StatusCode = 500;
                    await context.Response.OutputStream.WriteAsync("upstream broke"u8.ToArray());
                }
                else
                {
                    Interlocked.Increment(ref accepted);
                    context.Response.StatusCode = 200;
                    await context.Response.OutputStream.WriteAsync("ok"u8.ToArray());
                }

                context.Response.Close();
            }
            catch (Exception ex) when (ex is OperationCanceledException or HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
            }
        }
    }
}
