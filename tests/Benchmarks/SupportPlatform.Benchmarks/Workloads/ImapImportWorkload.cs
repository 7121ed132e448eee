using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MimeKit;
using SupportPlatform.Plugins.Email.Imap;
using SupportPlatform.Sdk;
using SupportPlatform.Sdk.Mail;
using SupportPlatform.Testing;

namespace SupportPlatform.Benchmarks.Workloads;

/// <summary>
/// Messages per second the IMAP plugin reads from a local Dovecot into a sink (fetch, hand over, move each one), against
/// a baseline measured in the same run on the same server: a plain MailKit client fetching the same number of
/// messages whole, in one pass, without acknowledging anything. The sink here only parses the Message-ID and counts:
/// this is the adapter's own ceiling; <see cref="ImapEndToEndWorkload"/> measures the whole import (host, threading, storage).
/// </summary>
internal sealed class ImapImportWorkload : IWorkload
{
    public const string BaselineName = "IMAP raw fetch (Dovecot, baseline)";
    public const string WorkloadName = "email import via IMAP plugin (adapter only, counting sink)";
    private const string User = "support@test.local";

    public string Name => "email import (IMAP)";

    public async Task<IReadOnlyList<WorkloadResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var count = context.Pick(1_000, 5_000);
        await using var dovecot = await DovecotServer.StartAsync();
        using var data = new TempDirectory("sp-bench-imap-");

        // Baseline: the same number of messages, fetched whole by a plain client in one pass.
        await DeliverAsync(dovecot, count, "baseline");
        var raw = await RawFetchAsync(dovecot, count, cancellationToken);
        await EmptyInboxAsync(dovecot, cancellationToken);

        await DeliverAsync(dovecot, count, "import");
        var sink = new CountingSink();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Plugins:email-imap:mailboxes:0:id"] = "bench",
            ["Plugins:email-imap:mailboxes:0:host"] = dovecot.Host,
            ["Plugins:email-imap:mailboxes:0:port"] = dovecot.ImapPort.ToString(CultureInfo.InvariantCulture),
            ["Plugins:email-imap:mailboxes:0:security"] = "none",
            ["Plugins:email-imap:mailboxes:0:user"] = User,
            ["Plugins:email-imap:mailboxes:0:password"] = DovecotServer.DefaultPassword,
        }).Build().GetSection("Plugins:email-imap");
        var pluginContext = new PluginContext("email-imap", AppContext.BaseDirectory, data.Path, configuration);
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton(pluginContext);
        services.AddSingleton<IInboundMailSink>(sink);
        new ImapPlugin().ConfigureServices(services, pluginContext);
        await using var provider = services.BuildServiceProvider();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        var clock = Stopwatch.StartNew();
        var running = provider.GetServices<IPluginBackgroundService>().Select(s => Task.Run(() => s.RunAsync(stop.Token), CancellationToken.None)).ToList();
        while (sink.Accepted < count && clock.Elapsed < TimeSpan.FromMinutes(10))
        {
            await Task.Delay(5, cancellationToken);
        }

        var elapsed = clock.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(running);
        if (sink.Accepted < count)
        {
            throw new InvalidOperationException($"the IMAP plugin imported {sink.Accepted} of {count} messages within 10 minutes");
        }

        var imported = await CountAsync(dovecot, "Imported", cancellationToken);
        var rate = count / elapsed.TotalSeconds;
        context.Log.WriteLine($"  {count} messages: raw fetch {raw:0} msg/s, plugin {rate:0} msg/s ({imported} moved to Imported)");
        return
        [
            new WorkloadResult(BaselineName, raw, "msg/s", null, null, true, new Dictionary<string, string> { ["messages"] = count.ToString(CultureInfo.InvariantCulture) }),
            new WorkloadResult(WorkloadName, rate, "msg/s", BaselineName, 0.5, true, new Dictionary<string, string>
            {
                ["messages"] = count.ToString(CultureInfo.InvariantCulture),
                ["moved"] = imported.ToString(CultureInfo.InvariantCulture),
                ["seconds"] = elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture),
            }),
        ];
    }

    private static async Task DeliverAsync(DovecotServer dovecot, int count, string tag)
    {
        var body = string.Join("\r\n", Enumerable.Repeat("The printer on the second floor says PC LOAD LETTER again; restarting did not help.", 20));
        var messages = Enumerable.Range(0, count).Select(i =>
        {
            var message = DovecotServer.CreateMessage($"{tag} {i}: printer", body);
            using var stream = new MemoryStream();
            message.WriteTo(stream);
            return stream.ToArray();
        });
        await dovecot.DeliverManyAsync(messages, "client@example.org", User);
    }

    private static async Task<double> RawFetchAsync(DovecotServer dovecot, int count, CancellationToken cancellationToken)
    {
        using var client = new ImapClient();
        await client.ConnectAsync(dovecot.Host, dovecot.ImapPort, SecureSocketOptions.None, cancellationToken);
        await client.AuthenticateAsync(User, DovecotServer.DefaultPassword, cancellationToken);
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadOnly, cancellationToken);
        var clock = Stopwatch.StartNew();
        var uids = await inbox.SearchAsync(MailKit.Search.SearchQuery.All, cancellationToken);
        var read = 0;
        foreach (var uid in uids)
        {
            using var stream = await inbox.GetStreamAsync(uid, cancellationToken);
            await stream.CopyToAsync(Stream.Null, cancellationToken);
            read++;
        }

        var elapsed = clock.Elapsed;
        await client.DisconnectAsync(true, cancellationToken);
        return read != count ? throw new InvalidOperationException($"the baseline read {read} of {count} messages") : count / elapsed.TotalSeconds;
    }

    private static async Task EmptyInboxAsync(DovecotServer dovecot, CancellationToken cancellationToken)
    {
        using var client = await dovecot.ConnectAsync(User);
        await client.Inbox.OpenAsync(FolderAccess.ReadWrite, cancellationToken);
        await client.Inbox.StoreAsync(new UniqueIdRange(0, 1, uint.MaxValue), new StoreFlagsRequest(StoreAction.Add, MessageFlags.Deleted) { Silent = true }, cancellationToken);
        await client.Inbox.ExpungeAsync(cancellationToken);
        await client.DisconnectAsync(true, cancellationToken);
    }

    private static async Task<int> CountAsync(DovecotServer dovecot, string folderName, CancellationToken cancellationToken)
    {
        using var client = await dovecot.ConnectAsync(User);
        var folder = await client.GetFolderAsync(folderName, cancellationToken);
        await folder.OpenAsync(FolderAccess.ReadOnly, cancellationToken);
        var count = folder.Count;
        await client.DisconnectAsync(true, cancellationToken);
        return count;
    }

    /// <summary>Parses each message's headers for its Message-ID (as any real sink must) and counts distinct ones.</summary>
    private sealed class CountingSink : IInboundMailSink
    {
        private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);

        public long MaxMessageBytes => 25 * 1024 * 1024;

        public int Accepted => _seen.Count;

        public Task<InboundMailResult> AcceptAsync(InboundMail mail, CancellationToken cancellationToken)
        {
            using var stream = new MemoryStream(mail.Content.ToArray(), writable: false);
            var id = HeaderList.Load(stream)[HeaderId.MessageId] ?? mail.SourceKey ?? string.Empty;
            return Task.FromResult(_seen.TryAdd(id, 0)
                ? new InboundMailResult(InboundMailDisposition.TicketCreated, null, null)
                : new InboundMailResult(InboundMailDisposition.Duplicate, null, null));
        }

        public Task ReportSourceStatusAsync(InboundSourceStatus status, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
