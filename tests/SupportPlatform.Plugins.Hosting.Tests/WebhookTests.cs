using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SupportPlatform.Plugins.Hosting.Tests.Infrastructure;
using SupportPlatform.Sdk.Mail;

namespace SupportPlatform.Plugins.Hosting.Tests;

/// <summary>
/// Plugin webhooks through a real Kestrel: routing to the plugin's handler, the request as the plugin sees it, the
/// public URL rebuilt from configuration, host services handed to plugins, limits and failures.
/// </summary>
public sealed class WebhookTests : IAsyncLifetime
{
    private readonly ScratchPlugins _plugins = new();
    private readonly RecordingSink _sink = new();
    private WebApplication? _app;
    private HttpClient? _client;

    public async Task InitializeAsync()
    {
        _plugins.Add(Fixtures.Webhook);
        _plugins.Add(Fixtures.Compatible);
        _plugins.Add(Fixtures.ThrowsOnConfigure);
        _app = await StartAsync(_plugins, new Dictionary<string, string?>
        {
            ["SupportPlatform:PublicUrl"] = "https://support.msp.example/desk/",
            ["SupportPlatform:Plugins:MaxWebhookBodyBytes"] = "4096",
        }, services => services.AddSingleton<IInboundMailSink>(_sink));
        _client = new HttpClient { BaseAddress = new Uri(Address(_app)) };
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        _plugins.Dispose();
    }

    [Fact]
    public async Task Post_FormToPluginPath_HandlerSeesRequestAndPublicUrlFromConfiguration()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/fixture-webhook/echo?CallSid=CA1&x=a&x=b")
        {
            Content = new FormUrlEncodedContent([new("From", "+15551234567"), new("Body", "a b&c")]),
        };
        request.Headers.Add("X-Fixture", "present");

        using var response = await _client!.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("yes", response.Headers.GetValues("X-Fixture-Reply").Single());
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal("POST", root.GetProperty("method").GetString());
        Assert.Equal("/echo", root.GetProperty("path").GetString());
        Assert.Equal("https://support.msp.example/desk/hooks/fixture-webhook/echo?CallSid=CA1&x=a&x=b", root.GetProperty("publicUrl").GetString());
        Assert.Equal(["a", "b"], root.GetProperty("query").GetProperty("x").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("+15551234567", root.GetProperty("form").GetProperty("From")[0].GetString());
        Assert.Equal("a b&c", root.GetProperty("form").GetProperty("Body")[0].GetString());
        Assert.Equal("present", root.GetProperty("header").GetString());
        Assert.StartsWith("application/x-www-form-urlencoded", root.GetProperty("contentType").GetString(), StringComparison.Ordinal);
        Assert.Equal("https://support.msp.example/desk/hooks/fixture-webhook/echo?x=1", root.GetProperty("callback").GetString());
        Assert.True(root.GetProperty("urlsConfigured").GetBoolean());
    }

    [Fact]
    public async Task Get_NestedPathAnyCaseOfId_ReachesHandler()
    {
        using var response = await _client!.GetAsync("/hooks/Fixture-Webhook/echo/deeper");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("/echo/deeper", json.RootElement.GetProperty("path").GetString());
        Assert.Empty(json.RootElement.GetProperty("form").EnumerateObject());
    }

    [Fact]
    public async Task Post_Mail_PluginUsesHostServiceRegisteredByHost()
    {
        using var response = await _client!.PostAsync("/hooks/fixture-webhook/mail", new StringContent("Subject: hi\r\n\r\nbody", Encoding.ASCII, "message/rfc822"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"TicketCreated\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var mail = Assert.Single(_sink.Received);
        Assert.Equal("fixture", mail.SourceId);
        Assert.Equal("Subject: hi\r\n\r\nbody", Encoding.ASCII.GetString(mail.Content.Span));
    }

    [Fact]
    public async Task Post_HandlerThrows_500ProblemAndPluginStaysLoaded()
    {
        using var response = await _client!.PostAsync("/hooks/fixture-webhook/throw", new StringContent("x"));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("'fixture-webhook' failed while handling POST /throw", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var again = await _client.GetAsync("/hooks/fixture-webhook/echo");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task Post_BodyOverLimit_413AndHandlerNotCalled()
    {
        using var response = await _client!.PostAsync("/hooks/fixture-webhook/mail", new ByteArrayContent(new byte[5000]));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("4,096 bytes", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(_sink.Received);
    }

    [Fact]
    public async Task Post_ChunkedBodyOverLimit_413()
    {
        using var content = new StreamContent(new MemoryStream(new byte[9000]));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hooks/fixture-webhook/mail") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        using var response = await _client!.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(_sink.Received);
    }

    [Theory]
    [InlineData("/hooks/nobody/x", "No plugin with id 'nobody' is installed.")]
    [InlineData("/hooks/fixture-compatible/x", "The plugin 'fixture-compatible' receives no webhooks.")]
    [InlineData("/hooks/fixture-throws-on-configure/x", "The plugin 'fixture-throws-on-configure' is not running (Failed)")]
    public async Task Post_NoHandler_404SaysWhy(string url, string reason)
    {
        using var response = await _client!.PostAsync(url, new StringContent("x"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostWithoutSink_PluginNeedingIt_FailsToLoadNamingTheService()
    {
        using var plugins = new ScratchPlugins();
        plugins.Add(Fixtures.Webhook);
        var app = await StartAsync(plugins, [], _ => { });
        try
        {
            var info = app.Services.GetRequiredService<IPluginRegistry>().Find("fixture-webhook")!;
            Assert.Equal(PluginStatus.Failed, info.Status);
            Assert.Contains(nameof(IInboundMailSink), info.Reason, StringComparison.Ordinal);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task NoPublicUrlConfigured_UrlsUseListeningAddress()
    {
        using var plugins = new ScratchPlugins();
        plugins.Add(Fixtures.Webhook);
        var app = await StartAsync(plugins, [], services => services.AddSingleton<IInboundMailSink>(new RecordingSink()));
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(Address(app)) };
            using var json = JsonDocument.Parse(await client.GetStringAsync("/hooks/fixture-webhook/echo?a=1"));
            Assert.Equal($"{Address(app).TrimEnd('/')}/hooks/fixture-webhook/echo?a=1", json.RootElement.GetProperty("publicUrl").GetString());
            Assert.False(json.RootElement.GetProperty("urlsConfigured").GetBoolean());
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("SupportPlatform:PublicUrl", "ftp://x", "SupportPlatform:PublicUrl is 'ftp://x'")]
    [InlineData("SupportPlatform:Plugins:MaxWebhookBodyBytes", "lots", "SupportPlatform:Plugins:MaxWebhookBodyBytes is 'lots'")]
    public async Task InvalidSetting_HostRefusesToStartSayingWhich(string key, string value, string message)
    {
        using var plugins = new ScratchPlugins();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(plugins, new Dictionary<string, string?> { [key] = value }, _ => { }));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private static async Task<WebApplication> StartAsync(ScratchPlugins plugins, Dictionary<string, string?> settings, Action<IServiceCollection> services)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        builder.Services.AddRoutingCore();
        builder.Services.AddProblemDetails();
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Critical));
        builder.Services.AddSupportPlatformPlugins(options =>
        {
            options.PluginsPath = plugins.PluginsPath;
            options.PluginDataPath = plugins.DataPath;
        });
        services(builder.Services);
        var app = builder.Build();
        app.MapPluginWebhooks();
        await app.StartAsync();
        return app;
    }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    private sealed class RecordingSink : IInboundMailSink
    {
        public List<InboundMail> Received { get; } = [];

        public long MaxMessageBytes => 1024;

        public Task<InboundMailResult> AcceptAsync(InboundMail mail, CancellationToken cancellationToken)
        {
            lock (Received)
            {
                Received.Add(mail);
            }

            return Task.FromResult(new InboundMailResult(InboundMailDisposition.TicketCreated, "1", null));
        }

        public Task ReportSourceStatusAsync(InboundSourceStatus status, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
