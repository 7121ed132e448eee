using System.Text;
using MailKit;
using MimeKit;
using SupportPlatform.Plugins.Email.Tests.Infrastructure;
using SupportPlatform.Sdk;
using SupportPlatform.Testing;

namespace SupportPlatform.Plugins.Email.Tests.Imap;

public sealed class ImapPluginTests : ImapTestBase
{
    protected override DovecotOptions DovecotOptions => new() { Users = [Support, "sales@test.local"] };

    [Fact]
    public async Task NewMail_WhileIdle_ImportedWithinSecondsThenMovedToImported()
    {
        var plugin = StartPlugin(Mailbox(0, "support", Support));
        await WaitConnectedAsync(plugin);

        var message = await DeliverAsync("Printer on fire");

        // IDLE is re-issued only every 9 minutes and there is no polling here: only the server's push can bring it in.
        await Eventually.TrueAsync(async () => (await InFolderAsync("Imported")).Contains(message.MessageId!), "the message is in Imported", seconds: 10, diagnostics: plugin.Logs.ToString);
        var mail = Assert.Single(Sink.Offered);
        Assert.Equal(message.MessageId!, RecordingSink.MessageIdOf(mail));
        Assert.Equal("imap:support", mail.SourceId);
        Assert.Matches(@"^INBOX/\d+/1$", mail.SourceKey);
        Assert.Null(mail.OriginalSize);
        Assert.Contains("Printer on fire", Encoding.UTF8.GetString(mail.Content.Span), StringComparison.Ordinal);
        Assert.InRange(mail.ReceivedAt, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Empty(await InFolderAsync("INBOX"));
        await Eventually.TrueAsync(() => Sink.Statuses.LastOrDefault() is { MessagesAtSource: 0, Error: null }, "the pass reports an empty INBOX");
        Assert.Equal($"imap://{Dovecot.Host}:{Dovecot.ImapPort}/INBOX as {Support}", Sink.Statuses[^1].Description);
    }

    [Fact]
    public async Task Acknowledge_OnlyAfterSinkReturned_MessageStillInInboxDuringAccept()
    {
        var inboxDuringAccept = new List<string>();
        Sink.BeforeReturning = async mail => inboxDuringAccept.AddRange(await InFolderAsync("INBOX"));
        var message = await DeliverAsync("Check ordering");

        var plugin = StartPlugin(Mailbox(0, "support", Support));

        await Eventually.TrueAsync(async () => (await InFolderAsync("Imported")).Count == 1, "the message is moved", diagnostics: plugin.Logs.ToString);
        Assert.Equal([message.MessageId!], inboxDuringAccept);
    }

    [Fact]
    public async Task TwoMailboxes_EachImportedUnderItsOwnSource()
    {
        var settings = Mailbox(0, "support", Support);
        foreach (var (key, value) in Mailbox(1, "sales", "sales@test.local"))
        {
            settings[key] = value;
        }

        var plugin = StartPlugin(settings);
        var forSupport = await DeliverAsync("For support");
        var forSales = await DeliverAsync("For sales", to: "sales@test.local");

        await Eventually.TrueAsync(() => Sink.Stored.Count == 2, "both messages are imported", diagnostics: plugin.Logs.ToString);
        Assert.Equal("imap:support", Sink.Stored[forSupport.MessageId!].SourceId);
        Assert.Equal("imap:sales", Sink.Stored[forSales.MessageId!].SourceId);
        Assert.Equal(2, plugin.HealthChecks.Count);
        await Eventually.TrueAsync(async () => (await InFolderAsync("Imported", "sales@test.local")).Count == 1, "sales' message is moved in its own mailbox");
    }

    [Fact]
    public async Task SinkThrows_MessageStaysInInbox_ImportedOnALaterPass()
    {
        Sink.FailWhen = _ => new InvalidOperationException("database is down");
        var message = await DeliverAsync("Will fail first");
        var plugin = StartPlugin(Mailbox(0, "support", Support));

        await Eventually.TrueAsync(() => Sink.Offered.Count >= 2, "the message is offered again after a refusal", diagnostics: plugin.Logs.ToString);
        Assert.Equal([message.MessageId!], await InFolderAsync("INBOX"));
        Assert.Empty(await InFolderAsync("Imported"));
        var (status, description) = await plugin.HealthAsync();
        Assert.Equal(PluginHealthStatus.Degraded, status);
        Assert.Contains("not accepted by the platform", description, StringComparison.Ordinal);
        Assert.Contains(Sink.Statuses, s => s.MessagesAtSource == 1 && s.Error is not null);

        Sink.FailWhen = null;

        await Eventually.TrueAsync(async () => (await InFolderAsync("Imported")).Contains(message.MessageId!), "the message is imported once the sink works", diagnostics: plugin.Logs.ToString);
        Assert.Empty(await InFolderAsync("INBOX"));
        Assert.Single(Sink.Stored);
        await WaitConnectedAsync(plugin);
    }

    [Fact]
    public async Task RestartMidBatch_StoredButUnacknowledgedMessageOfferedAgain_AcknowledgedAsDuplicate()
    {
        var messages = new List<MimeMessage>();
        for (var i = 1; i <= 5; i++)
        {
            messages.Add(await DeliverAsync($"Batch {i}"));
        }

        // The third message is stored, then the process "dies" before the call returns (no acknowledgement).
        var third = messages[2].MessageId!;
        Sink.HangAfterStoring = mail => RecordingSink.MessageIdOf(mail) == third;
        // One at a time, so that the fourth and fifth are not offered yet when the "crash" comes (see the test below for concurrency).
        var settings = Mailbox(0, "support", Support);
        settings["mailboxes:0:concurrency"] = "1";
        var first = StartPlugin(settings);
        await Eventually.TrueAsync(() => Sink.Stored.ContainsKey(third), "the third message is stored", diagnostics: first.Logs.ToString);
        await StopAsync(first);

        Assert.Equal(3, (await InFolderAsync("INBOX")).Count);
        Assert.Equal(2, (await InFolderAsync("Imported")).Count);

        Sink.HangAfterStoring = null;
        var second = StartPlugin(settings);

        await Eventually.TrueAsync(async () => (await InFolderAsync("Imported")).Count == 5, "every message is moved", diagnostics: second.Logs.ToString);
        Assert.Empty(await InFolderAsync("INBOX"));
        Assert.Equal(messages.Select(m => m.MessageId!).Order(), Sink.Stored.Keys.Order());
        Assert.Equal(2, Sink.Offered.Count(m => RecordingSink.MessageIdOf(m) == third));
        // The acknowledged ones are not offered again: the cursor (and the move) kept them out.
        Assert.Equal(6, Sink.Offered.Count);
    }

    [Fact]
    public async Task Concurrent_LaterMessagesOfferedWhileAnEarlierOneIsStored_NoneMovedBeforeItsOwnAndEarlierOnesReturned()
    {
        var messages = new List<MimeMessage>();
        for (var i = 1; i <= 5; i++)
        {
            messages.Add(await DeliverAsync($"Concurrent {i}"));
        }

        // The first message's commit is slow: the others are handed over meanwhile, but none is moved before it returned
        // (results are taken in UID order, so the cursor never passes a message that is still being stored).
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstId = messages[0].MessageId!;
        Sink.BeforeReturning = mail => RecordingSink.MessageIdOf(mail) == firstId ? release.Task : Task.CompletedTask;
        var settings = Mailbox(0, "support", Support);
        settings["mailboxes:0:concurrency"] = "4";
        var plugin = StartPlugin(settings);

        await Eventually.TrueAsync(() => Sink.Stored.Count == 4, "four messages are handed over while the first is still being stored", diagnostics: plugin.Logs.ToString);
        Assert.Equal(4, Sink.Offered.Count);
        Assert.DoesNotContain(Sink.Offered, m => RecordingSink.MessageIdOf(m) == messages[4].MessageId!);
        Assert.Equal(5, (await InFolderAsync("INBOX")).Count);
        Assert.Empty(await InFolderAsync("Imported"));

        release.SetResult();

        await Eventually.TrueAsync(async () => (await InFolderAsync("Imported")).Count == 5, "every message is moved once stored", diagnostics: plugin.Logs.ToString);
        Assert.Empty(await InFolderAsync("INBOX"));
        Assert.Equal(5, Sink.Offered.Count);
        Assert.Equal(messages.Select(m => m.MessageId!).Order(), Sink.Stored.Keys.Order());
    }

    [Fact]
    public async Task UidValidityChanges_FolderScannedFromTheStart()
    {
        using (var client = await Dovecot.ConnectAsync(Support))
        {
            var root = client.GetFolder(client.PersonalNamespaces[0]);
            var created = await root.CreateAsync("Support", true);
            await created!.AppendAsync(DovecotServer.CreateMessage("old 1"));
            await created!.AppendAsync(DovecotServer.CreateMessage("old 2"));
        }

        var settings = Mailbox(0, "support", Support);
        settings["mailboxes:0:folder"] = "Support";
        var first = StartPlugin(settings);
        await Eventually.TrueAsync(() => Sink.Stored.Count == 2, "the first two messages are imported", diagnostics: first.Logs.ToString);
        await WaitConnectedAsync(first);
        await StopAsync(first);

        // Recreate the folder: new UIDVALIDITY, UIDs start at 1 again, below the saved cursor (2).
        uint oldValidity, newValidity;
        var fresh = new[] { DovecotServer.CreateMessage("new 1"), DovecotServer.CreateMessage("new 2"), DovecotServer.CreateMessage("new 3") };
        using (var client = await Dovecot.ConnectAsync(Support))
        {
            var folder = await OpenAsync(client, "Support", FolderAccess.ReadOnly);
            oldValidity = folder.UidValidity;
            await folder.CloseAsync();
            await folder.DeleteAsync();
            await Task.Delay(1100); // Dovecot derives UIDVALIDITY from the clock.
            var root = client.GetFolder(client.PersonalNamespaces[0]);
            var recreated = await root.CreateAsync("Support", true);
            foreach (var message in fresh)
            {
                await recreated!.AppendAsync(message);
            }

            await recreated!.OpenAsync(FolderAccess.ReadOnly);
            newValidity = recreated.UidValidity;
        }

        Assert.NotEqual(oldValidity, newValidity);
        var second = StartPlugin(settings);

        await Eventually.TrueAsync(() => Sink.Stored.Count == 5, "all three new messages are imported", diagnostics: second.Logs.ToString);
        Assert.All(fresh, m => Assert.Contains(m.MessageId!, Sink.Stored.Keys));
        Assert.Contains(second.Logs.Messages, m => m.Contains("UIDVALIDITY changed", StringComparison.Ordinal));
        Assert.Empty(await InFolderAsync("Support"));
    }

    [Fact]
    public async Task OversizedMessage_OnlyHeadersHandedOver_OriginalMovedWhole()
    {
        Sink.MaxMessageBytes = 20_000;
        var big = DovecotServer.CreateMessage("Huge log attached", body: new string('x', 60_000));
        await Dovecot.DeliverAsync(big, Support);
        var small = await DeliverAsync("Small");

        var plugin = StartPlugin(Mailbox(0, "support", Support));

        await Eventually.TrueAsync(async () => (await InFolderAsync("Imported")).Count == 2, "both are moved", diagnostics: plugin.Logs.ToString);
        var bigMail = Sink.Stored[big.MessageId!];
        Assert.NotNull(bigMail.OriginalSize);
        Assert.True(bigMail.OriginalSize > 60_000, $"OriginalSize {bigMail.OriginalSize}");
        Assert.True(bigMail.Content.Length < 2_000, $"{bigMail.Content.Length} bytes handed over for a header-only import");
        var text = Encoding.UTF8.GetString(bigMail.Content.Span);
        Assert.Contains("Subject: Huge log attached", text, StringComparison.Ordinal);
        Assert.DoesNotContain("xxxxxxxxxx", text, StringComparison.Ordinal);
        Assert.Null(Sink.Stored[small.MessageId!].OriginalSize);

        using var client = await Dovecot.ConnectAsync(Support);
        var imported = await OpenAsync(client, "Imported", FolderAccess.ReadOnly);
        var sizes = await imported.FetchAsync(0, -1, new FetchRequest(MessageSummaryItems.Size | MessageSummaryItems.Envelope));
        Assert.True(sizes.Single(s => s.Envelope!.MessageId == big.MessageId!).Size > 60_000, "The original stays whole in the target folder.");
    }

    [Fact]
    public async Task AfterImportDelete_MessageExpunged_NoFolderCreated()
    {
        var settings = Mailbox(0, "support", Support);
        settings["mailboxes:0:afterImport"] = "delete";
        await DeliverAsync("Delete me after import");
        var plugin = StartPlugin(settings);

        await Eventually.TrueAsync(() => Sink.Stored.Count == 1, "the message is imported", diagnostics: plugin.Logs.ToString);
        await Eventually.TrueAsync(async () => (await InFolderAsync("INBOX")).Count == 0, "the message is expunged");
        using var client = await Dovecot.ConnectAsync(Support);
        await Assert.ThrowsAsync<FolderNotFoundException>(() => client.GetFolderAsync("Imported"));
    }

    [Fact]
    public async Task WrongPassword_UnhealthyWithReason_KeepsRetryingUntilItWorks()
    {
        var plugin = StartPlugin(Mailbox(0, "support", Support, password: "not-the-password"));

        await Eventually.TrueAsync(
            async () => (await plugin.HealthAsync()).Status == PluginHealthStatus.Unhealthy,
            "the health check reports the refused login",
            seconds: 20,
            diagnostics: plugin.Logs.ToString);
        var (_, description) = await plugin.HealthAsync();
        Assert.Contains("authentication failed for support@test.local", description, StringComparison.Ordinal);
        Assert.Contains(Sink.Statuses, s => s.Error is not null && s.Error.Contains("authentication failed", StringComparison.Ordinal) && s.MessagesAtSource is null);

        // The administrator fixes the account; the plugin, still retrying, gets in.
        Dovecot.AddUser(Support, "not-the-password");
        var message = await DeliverAsync("After the fix");

        await Eventually.TrueAsync(() => Sink.Stored.ContainsKey(message.MessageId!), "the message is imported after the password works", seconds: 40, diagnostics: plugin.Logs.ToString);
        await WaitConnectedAsync(plugin);
    }

    [Fact]
    public async Task ServerUnreachable_UnhealthySaysUnreachable()
    {
        var settings = Mailbox(0, "support", Support);
        using (var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            listener.Start();
            settings["mailboxes:0:port"] = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var plugin = StartPlugin(settings);

        await Eventually.TrueAsync(async () => (await plugin.HealthAsync()).Status == PluginHealthStatus.Unhealthy, "unhealthy", diagnostics: plugin.Logs.ToString);
        Assert.Contains("is unreachable", (await plugin.HealthAsync()).Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "Plugins:email-imap:mailboxes is empty")]
    [InlineData("security=tls", "Plugins:email-imap:mailboxes:0:security is 'tls': use none, ssl or starttls.")]
    [InlineData("port=99999", "Plugins:email-imap:mailboxes:0:port is '99999'")]
    [InlineData("password=", "has neither a password nor oauth2 settings")]
    [InlineData("oauth2:tokenEndpoint=https://login.example/token", "Plugins:email-imap:mailboxes:0:oauth2:clientId is missing: it is required.")]
    [InlineData("afterImport=archive", "afterImport is 'archive': use move or delete.")]
    [InlineData("moveTo=INBOX", "moveTo is 'INBOX', the folder that is read")]
    [InlineData("id=bad id", "mailboxes:0:id is 'bad id'")]
    public void BadSettings_PluginRefusesToLoad_NamingTheKey(string? change, string expected)
    {
        var settings = change is null ? [] : Mailbox(0, "support", Support);
        if (change is not null)
        {
            var (key, value) = (change.Split('=')[0], change.Split('=', 2)[1]);
            settings["mailboxes:0:" + key] = value;
        }

        var error = Assert.Throws<InvalidOperationException>(() => PluginRunner.Start<SupportPlatform.Plugins.Email.Imap.ImapPlugin>("email-imap", settings, Sink, Data.Path));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}

public sealed class ImapWithoutIdleTests : ImapTestBase
{
    protected override DovecotOptions DovecotOptions => new() { WithoutIdle = true };

    [Fact]
    public async Task ServerWithoutIdle_PollsAtTheConfiguredInterval()
    {
        var settings = Mailbox(0, "support", Support);
        settings["mailboxes:0:pollSeconds"] = "1";
        var plugin = StartPlugin(settings);
        await WaitConnectedAsync(plugin);
        Assert.Contains("polling", (await plugin.HealthAsync()).Description, StringComparison.Ordinal);

        var message = await DeliverAsync("Polled in");

        await Eventually.TrueAsync(async () => (await InFolderAsync("Imported")).Contains(message.MessageId!), "the polled message is moved", diagnostics: plugin.Logs.ToString);
    }
}

public sealed class ImapTlsTests : ImapTestBase
{
    protected override DovecotOptions DovecotOptions => new() { Tls = true };

    [Fact]
    public async Task ImplicitTls_PinnedSelfSignedCertificate_Imports()
    {
        var settings = Mailbox(0, "support", Support);
        settings["mailboxes:0:security"] = "ssl";
        settings["mailboxes:0:port"] = Dovecot.ImapsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["mailboxes:0:certificateThumbprint"] = Dovecot.Certificate!.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var message = await DeliverAsync("Over TLS");

        var plugin = StartPlugin(settings);

        await Eventually.TrueAsync(() => Sink.Stored.ContainsKey(message.MessageId!), "imported over TLS", diagnostics: plugin.Logs.ToString);
    }

    [Fact]
    public async Task StartTls_UntrustedCertificate_UnhealthySaysTls()
    {
        var settings = Mailbox(0, "support", Support);
        settings["mailboxes:0:security"] = "starttls";

        var plugin = StartPlugin(settings);

        await Eventually.TrueAsync(async () => (await plugin.HealthAsync()).Status == PluginHealthStatus.Unhealthy, "unhealthy", diagnostics: plugin.Logs.ToString);
        Assert.Contains("TLS with 127.0.0.1", (await plugin.HealthAsync()).Description, StringComparison.Ordinal);
    }
}
