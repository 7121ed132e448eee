using MailKit;
using MimeKit;
using SupportPlatform.Plugins.Email.Imap;
using SupportPlatform.Plugins.Email.Tests.Infrastructure;
using SupportPlatform.Testing;

namespace SupportPlatform.Plugins.Email.Tests.Imap;

/// <summary>A Dovecot of its own per test, a recording sink and a data folder; the plugin runs through its entry class.</summary>
public abstract class ImapTestBase : IAsyncLifetime
{
    protected const string Support = "support@test.local";

    private readonly List<PluginRunner> _runners = [];

    internal RecordingSink Sink { get; } = new();

    protected DovecotServer Dovecot { get; private set; } = null!;

    protected TempDirectory Data { get; } = new("sp-imap-plugin-");

    protected virtual DovecotOptions DovecotOptions => new();

    public async Task InitializeAsync() => Dovecot = await DovecotServer.StartAsync(DovecotOptions);

    public async Task DisposeAsync()
    {
        foreach (var runner in _runners)
        {
            await runner.DisposeAsync();
        }

        await Dovecot.DisposeAsync();
        Data.Dispose();
    }

    /// <summary>Settings of mailbox <paramref name="index"/> reading <paramref name="user"/> on the test server (plain IMAP).</summary>
    protected Dictionary<string, string?> Mailbox(int index, string id, string user, string password = DovecotServer.DefaultPassword) => new()
    {
        [$"mailboxes:{index}:id"] = id,
        [$"mailboxes:{index}:host"] = Dovecot.Host,
        [$"mailboxes:{index}:port"] = Dovecot.ImapPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        [$"mailboxes:{index}:security"] = "none",
        [$"mailboxes:{index}:user"] = user,
        [$"mailboxes:{index}:password"] = password,
        [$"mailboxes:{index}:retrySeconds"] = "1",
        [$"mailboxes:{index}:reconnectMaxSeconds"] = "1",
    };

    internal PluginRunner StartPlugin(IDictionary<string, string?> settings)
    {
        var runner = PluginRunner.Start<ImapPlugin>("email-imap", settings, Sink, Data.Path);
        _runners.Add(runner);
        return runner;
    }

    internal async Task StopAsync(PluginRunner runner)
    {
        _runners.Remove(runner);
        await runner.DisposeAsync();
    }

    protected async Task<MimeMessage> DeliverAsync(string subject, string to = Support, string body = "Hello.")
    {
        var message = DovecotServer.CreateMessage(subject, body, to: to);
        await Dovecot.DeliverAsync(message, to);
        return message;
    }

    protected Task<IReadOnlyList<string>> InFolderAsync(string folder, string user = Support) => Dovecot.ListMessageIdsAsync(user, folder);

    internal static async Task WaitConnectedAsync(PluginRunner runner) =>
        await Eventually.TrueAsync(
            async () => (await runner.HealthAsync()).Status == Sdk.PluginHealthStatus.Healthy,
            "the plugin reports healthy (connected, first pass done)",
            diagnostics: runner.Logs.ToString);

    protected static async Task<IMailFolder> OpenAsync(MailKit.Net.Imap.ImapClient client, string folder, FolderAccess access = FolderAccess.ReadWrite)
    {
        var f = await client.GetFolderAsync(folder);
        await f.OpenAsync(access);
        return f;
    }
}
