using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SupportPlatform.Plugins.Email.Tests.Infrastructure;
using SupportPlatform.Sdk;
using SupportPlatform.Testing;

namespace SupportPlatform.Plugins.Email.Tests.Imap;

/// <summary>
/// XOAUTH2 end to end: the plugin fetches an access token from an OAuth2 token endpoint (played by a small Kestrel app
/// in the test), Dovecot checks it against the same app's introspection endpoint (RFC 7662), mail flows.
/// </summary>
public sealed class ImapOAuth2Tests : IAsyncLifetime
{
    private const string Support = "support@test.local";
    private readonly TempDirectory _data = new("sp-imap-oauth-");
    private readonly ConcurrentQueue<IReadOnlyDictionary<string, string>> _tokenRequests = new();
    private readonly RecordingSink _sink = new();
    private WebApplication _identity = null!;
    private DovecotServer _dovecot = null!;
    private string _baseUrl = null!;
    private int _issued;
    private int _introspected;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _identity = builder.Build();
        _identity.MapPost("/token", async (HttpContext context) =>
        {
            var form = await context.Request.ReadFormAsync();
            _tokenRequests.Enqueue(form.ToDictionary(f => f.Key, f => f.Value.ToString()));
            var refresh = form["grant_type"] == "refresh_token" && form["refresh_token"] == "refresh-1";
            var credentials = form["grant_type"] == "client_credentials" && form["client_secret"] == "app-secret";
            if (form["client_id"] != "platform" || !(refresh || credentials))
            {
                return Results.Json(new { error = "invalid_client" }, statusCode: 401);
            }

            var token = $"access-{Interlocked.Increment(ref _issued)}";
            return Results.Json(new { access_token = token, token_type = "Bearer", expires_in = 3600 });
        });
        _identity.MapPost("/introspect", async (HttpContext context) =>
        {
            var form = await context.Request.ReadFormAsync();
            var token = form["token"].ToString();
            Interlocked.Increment(ref _introspected);
            var active = token.StartsWith("access-", StringComparison.Ordinal);
            return Results.Json(active ? new { active = true, username = Support } : (object)new { active = false });
        });
        await _identity.StartAsync();
        _baseUrl = _identity.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _dovecot = await DovecotServer.StartAsync(new DovecotOptions { OAuth2IntrospectionUrl = new Uri(_baseUrl + "/introspect") });
    }

    public async Task DisposeAsync()
    {
        await _dovecot.DisposeAsync();
        await _identity.StopAsync();
        await _identity.DisposeAsync();
        _data.Dispose();
    }

    [Theory]
    [InlineData("client_credentials")]
    [InlineData("refresh_token")]
    public async Task XOAuth2_TokenFromTheEndpoint_SignsInAndImports(string grant)
    {
        var settings = Settings();
        if (grant == "refresh_token")
        {
            settings["mailboxes:0:oauth2:refreshToken"] = "refresh-1";
        }
        else
        {
            settings["mailboxes:0:oauth2:clientSecret"] = "app-secret";
        }

        var message = DovecotServer.CreateMessage("Via OAuth");
        await _dovecot.DeliverAsync(message, Support);
        await using var plugin = PluginRunner.Start<SupportPlatform.Plugins.Email.Imap.ImapPlugin>("email-imap", settings, _sink, _data.Path);

        await Eventually.TrueAsync(() => _sink.Stored.ContainsKey(message.MessageId!), "the message is imported with XOAUTH2", diagnostics: () => plugin.Logs + "\n" + _dovecot.ReadLog());
        var request = Assert.Single(_tokenRequests);
        Assert.Equal(grant, request["grant_type"]);
        Assert.Equal("https://mail.example/.default", request["scope"]);
        Assert.True(_introspected > 0, "Dovecot never checked the token: the login did not use XOAUTH2.");
    }

    [Fact]
    public async Task XOAuth2_TokenEndpointRefuses_UnhealthyNamesTheEndpoint()
    {
        var settings = Settings();
        settings["mailboxes:0:oauth2:clientSecret"] = "wrong";
        await using var plugin = PluginRunner.Start<SupportPlatform.Plugins.Email.Imap.ImapPlugin>("email-imap", settings, _sink, _data.Path);

        await Eventually.TrueAsync(async () => (await plugin.HealthAsync()).Status == PluginHealthStatus.Unhealthy, "unhealthy", diagnostics: plugin.Logs.ToString);
        var description = (await plugin.HealthAsync()).Description;
        Assert.Contains("no OAuth2 access token", description, StringComparison.Ordinal);
        Assert.Contains("answered 401", description, StringComparison.Ordinal);
    }

    private Dictionary<string, string?> Settings() => new()
    {
        ["mailboxes:0:id"] = "support",
        ["mailboxes:0:host"] = _dovecot.Host,
        ["mailboxes:0:port"] = _dovecot.ImapPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["mailboxes:0:security"] = "none",
        ["mailboxes:0:user"] = Support,
        ["mailboxes:0:oauth2:tokenEndpoint"] = _baseUrl + "/token",
        ["mailboxes:0:oauth2:clientId"] = "platform",
        ["mailboxes:0:oauth2:scope"] = "https://mail.example/.default",
        ["mailboxes:0:reconnectMaxSeconds"] = "1",
    };
}
