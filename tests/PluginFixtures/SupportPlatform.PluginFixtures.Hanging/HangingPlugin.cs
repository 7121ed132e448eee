using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.PluginFixtures.Hanging;

/// <summary>A plugin whose webhook hangs, to prove that the host bounds every call into a plugin.</summary>
public sealed class HangingPlugin : IPlugin
{
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        services.AddSingleton<IWebhookHandler, HangingHandler>();
        services.AddSingleton<IPluginBackgroundService, Ticker>();
    }
}

/// <summary>
/// A background service that runs for the plugin's lifetime: the call timeout must never stop it. <c>/ticks</c> says how
/// often it ticked and whether it was cancelled.
/// </summary>
public sealed class Ticker : IPluginBackgroundService
{
    internal static int Ticks;
    internal static volatile bool Cancelled;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(100, cancellationToken);
                Interlocked.Increment(ref Ticks);
            }
        }
        catch (OperationCanceledException)
        {
            Cancelled = true;
            throw;
        }
    }
}

/// <summary>
/// <c>/hang</c>: never answers and ignores cancellation (the worst case). <c>/wait</c>: waits until cancelled and counts
/// the cancellation. <c>/cancelled</c>: how many waits were cancelled. Anything else: 200 "ok".
/// </summary>
public sealed class HangingHandler : IWebhookHandler
{
    private static int cancelled;

    public async Task<WebhookResponse> HandleAsync(WebhookRequest request, CancellationToken cancellationToken)
    {
        switch (request.Path)
        {
            case "/hang":
#pragma warning disable CA2016 // deliberately ignores the token: a badly written plugin
                await Task.Delay(Timeout.Infinite);
#pragma warning restore CA2016
                return WebhookResponse.Text(200, "never");
            case "/wait":
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref cancelled);
                    throw;
                }

                return WebhookResponse.Text(200, "never");
            case "/ticks":
                return WebhookResponse.Text(200, $"{Volatile.Read(ref Ticker.Ticks)} {(Ticker.Cancelled ? "cancelled" : "running")}");
            case "/cancelled":
                return WebhookResponse.Text(200, Volatile.Read(ref cancelled).ToString(System.Globalization.CultureInfo.InvariantCulture));
            default:
                return WebhookResponse.Text(200, "ok");
        }
    }
}
