using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.PluginFixtures.Hanging;

/// <summary>A plugin whose webhook hangs, to prove that the host bounds every call into a plugin.</summary>
public sealed class HangingPlugin : IPlugin
{
    public void ConfigureServices(IServiceCollection services, PluginContext context) =>
        services.AddSingleton<IWebhookHandler, HangingHandler>();
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
            case "/cancelled":
                return WebhookResponse.Text(200, Volatile.Read(ref cancelled).ToString(System.Globalization.CultureInfo.InvariantCulture));
            default:
                return WebhookResponse.Text(200, "ok");
        }
    }
}
