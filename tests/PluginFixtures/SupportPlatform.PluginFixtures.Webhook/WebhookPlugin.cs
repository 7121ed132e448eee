using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Mail;
using SupportPlatform.Sdk.Webhooks;

namespace SupportPlatform.PluginFixtures.Webhook;

/// <summary>A webhook plugin that uses a host service (the inbound mail sink) and its own hook addresses.</summary>
public sealed class WebhookPlugin : IPlugin
{
    public void ConfigureServices(IServiceCollection services, PluginContext context) =>
        services.AddSingleton<IWebhookHandler, EchoHandler>();
}

/// <summary>
/// <c>/echo</c>: answers what it received as JSON. <c>/mail</c>: hands the body to the host's mail sink and answers
/// its outcome (503 when the sink throws). <c>/throw</c>: throws. Anything else: 404 text.
/// </summary>
public sealed class EchoHandler(IInboundMailSink sink, IWebhookUrls urls) : IWebhookHandler
{
    public async Task<WebhookResponse> HandleAsync(WebhookRequest request, CancellationToken cancellationToken)
    {
        switch (request.Path)
        {
            case "/echo":
            case "/echo/deeper":
                return WebhookResponse.Json(200, JsonSerializer.Serialize(new
                {
                    method = request.Method,
                    path = request.Path,
                    publicUrl = request.PublicUrl.ToString(),
                    query = request.Query,
                    form = request.Form,
                    header = request.Header("X-Fixture"),
                    contentType = request.ContentType,
                    bodyLength = request.Body.Length,
                    callback = urls.GetUrl("echo?x=1").ToString(),
                    urlsConfigured = urls.IsConfigured,
                })) with { Headers = new Dictionary<string, string> { ["X-Fixture-Reply"] = "yes" } };
            case "/mail":
                try
                {
                    var result = await sink.AcceptAsync(new InboundMail("fixture", null, request.Body, request.ReceivedAt), cancellationToken);
                    return WebhookResponse.Json(200, JsonSerializer.Serialize(new { disposition = result.Disposition.ToString(), ticketId = result.TicketId }));
                }
                catch (InvalidOperationException ex)
                {
                    return WebhookResponse.Text(503, "not stored: " + ex.Message);
                }

            case "/throw":
                throw new InvalidOperationException("the fixture throws on purpose");
            default:
                return WebhookResponse.Text(404, $"no hook at {request.Path}");
        }
    }
}
