using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using MailKit.Net.Smtp;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Plugins.Email.Tests.Infrastructure;
using SupportPlatform.Sdk.Mail;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Plugins.Email.Tests;

/// <summary>
/// Both plugins as an administrator installs them: their built folders in the real host's plugins folder, loaded in
/// their own load contexts, handed the host's <see cref="IInboundMailSink"/> (a recording one registered in the host's
/// DI by the test), configured from the host's configuration, reported by the plugins API and readiness.
/// </summary>
public sealed class HostLoadingTests : IAsyncLifetime
{
    private readonly RecordingSink _sink = new();
    private readonly TempDirectory _data = new("sp-mail-host-");
    private readonly int _smtpPort = PlatformFactory.FreePort();
    private DovecotServer _dovecot = null!;
    private PlatformFactory _host = null!;

    public async Task InitializeAsync()
    {
        _dovecot = await DovecotServer.StartAsync();
        foreach (var (project, id) in new[] { ("SupportPlatform.Plugins.Email.Imap", "email-imap"), ("SupportPlatform.Plugins.Email.Smtp", "email-smtp") })
        {
            var source = Path.Combine(AppContext.BaseDirectory, "plugin-folders", project);
            Assert.True(File.Exists(Path.Combine(source, "plugin.json")), $"The build did not produce the plugin folder {source}.");
            Assert.False(File.Exists(Path.Combine(source, "SupportPlatform.Sdk.dll")), "A plugin folder must not ship the SDK.");
            foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(_data.Path, "plugins", id, Path.GetRelativePath(source, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }

        _host = new PlatformFactory(
            dataPath: _data.Path,
            extra: new Dictionary<string, string?>
            {
                ["Plugins:email-imap:mailboxes:0:id"] = "support",
                ["Plugins:email-imap:mailboxes:0:host"] = _dovecot.Host,
                ["Plugins:email-imap:mailboxes:0:port"] = _dovecot.ImapPort.ToString(CultureInfo.InvariantCulture),
                ["Plugins:email-imap:mailboxes:0:security"] = "none",
                ["Plugins:email-imap:mailboxes:0:user"] = "support@test.local",
                ["Plugins:email-imap:mailboxes:0:password"] = DovecotServer.DefaultPassword,
                ["Plugins:email-smtp:address"] = "127.0.0.1",
                ["Plugins:email-smtp:port"] = _smtpPort.ToString(CultureInfo.InvariantCulture),
                ["Plugins:email-smtp:recipients:0"] = "support@msp.example",
            },
            services: services => services.AddSingleton<IInboundMailSink>(_sink));
        _ = _host.Server;
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _dovecot.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task BothPlugins_LoadedFromTheirFolders_ImportIntoTheHostsSink()
    {
        using var admin = await _host.CreateStaffClientAsync();
        var plugins = await admin.GetFromJsonAsync<JsonElement>("/api/admin/plugins");
        foreach (var id in new[] { "email-imap", "email-smtp" })
        {
            var plugin = plugins.EnumerateArray().Single(p => p.GetProperty("id").GetString() == id);
            Assert.True(plugin.GetProperty("status").GetString() == "loaded", $"{id}: {plugin}");
        }

        var viaImap = DovecotServer.CreateMessage("Through the host, IMAP");
        await _dovecot.DeliverAsync(viaImap, "support@test.local");
        var viaSmtp = DovecotServer.CreateMessage("Through the host, SMTP", to: "support@msp.example");
        using (var smtp = new SmtpClient())
        {
            await smtp.ConnectAsync("127.0.0.1", _smtpPort, MailKit.Security.SecureSocketOptions.None);
            await smtp.SendAsync(viaSmtp);
            await smtp.DisconnectAsync(true);
        }

        await Eventually.TrueAsync(() => _sink.Stored.Count == 2, "both messages reach the host's sink");
        Assert.Equal("imap:support", _sink.Stored[viaImap.MessageId!].SourceId);
        Assert.Equal("smtp", _sink.Stored[viaSmtp.MessageId!].SourceId);
        await Eventually.TrueAsync(async () => (await _dovecot.ListMessageIdsAsync("support@test.local", "Imported")).Count == 1, "the IMAP message is moved");

        // Readiness lists each plugin with its health check's words.
        using var anonymous = _host.CreateClient();
        async Task<JsonElement> PluginsDataAsync()
        {
            var ready = await anonymous.GetFromJsonAsync<JsonElement>("/health/ready");
            return ready.GetProperty("checks").EnumerateObject()
                .Single(c => c.Value.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object && d.TryGetProperty("email-imap", out _))
                .Value.GetProperty("data");
        }

        await Eventually.TrueAsync(
            async () => (await PluginsDataAsync()).GetProperty("email-imap").GetString()!.StartsWith("Loaded, Healthy", StringComparison.Ordinal),
            "readiness shows the mailbox healthy");
        var data = await PluginsDataAsync();
        Assert.StartsWith("Loaded, Healthy: mailbox 'support'", data.GetProperty("email-imap").GetString(), StringComparison.Ordinal);
        Assert.Contains("listening on 127.0.0.1:" + _smtpPort.ToString(CultureInfo.InvariantCulture), data.GetProperty("email-smtp").GetString(), StringComparison.Ordinal);
    }
}
