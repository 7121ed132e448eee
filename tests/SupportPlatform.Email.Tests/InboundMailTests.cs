using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Core;
using SupportPlatform.Sdk.Mail;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Email.Tests;

public sealed class SqliteInboundMailTests : InboundMailTests
{
    protected override Task<string?> DatabaseAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgreSqlInboundMailTests : InboundMailTests
{
    protected override async Task<string?> DatabaseAsync() => await PostgresServer.Shared.CreateDatabaseAsync("mailin");
}

/// <summary>
/// The inbound pipeline behind <see cref="IInboundMailSink"/>, in the real host: the corpus under Corpus/ (each file with
/// its expected outcome), quarantine, triage, reconciliation, limits and loop guards.
/// </summary>
public abstract class InboundMailTests
{
    private static readonly DateTimeOffset Received = DateTimeOffset.UtcNow.AddMinutes(-30);

    protected abstract Task<string?> DatabaseAsync();

    /// <summary>Expected outcome per corpus file: created:ACCOUNT, comment:CASE (on the ticket CASE created), triaged, quarantined:HOLD, ignored.</summary>
    private static readonly (string File, string Expected)[] Corpus =
    [
        ("01-plain.eml", "created:client"),
        ("02-html-only.eml", "created:client"),
        ("03-alternative-urgent.eml", "created:client"),
        ("04-attachments.eml", "created:client"),
        ("05-encoded-headers.eml", "created:client"),
        ("06-gmail-reply.eml", "comment:01-plain"),
        ("07-outlook-reply.eml", "comment:03-alternative-urgent"),
        ("08-apple-reply-token.eml", "comment:02-html-only"),
        ("09-reply-cc.eml", "comment:01-plain"),
        ("10-foreign-token.eml", "created:other"),
        ("11-unknown-sender.eml", "triaged"),
        ("12-unknown-with-token.eml", "triaged"),
        ("13-forwarded.eml", "created:client"),
        ("14-out-of-office.eml", "ignored"),
        ("15-bounce.eml", "ignored"),
        ("16-no-message-id.eml", "created:client"),
        ("17-malformed.eml", "quarantined:unparseable"),
        ("18-monitoring.eml", "created:client"),
        ("19-loop.eml", "quarantined:loop"),
        ("20-executable.eml", "quarantined:suspicious"),
        ("21-broken-multipart.eml", "created:client"),
    ];

    internal async Task<PlatformFactory> HostAsync(IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["SupportPlatform:Email:From"] = "Acme Support <support@msp.example>",
            ["SupportPlatform:Email:TeamAddress"] = "team@msp.example",
            ["SupportPlatform:Email:PublicUrl"] = "https://support.msp.example",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var factory = new PlatformFactory(postgres: await DatabaseAsync(), extra: settings);
        using var admin = factory.CreateClient(await factory.Users.AdminTokenAsync());
        (await admin.PutAsJsonAsync("/api/accounts/client", new { name = "Client Ltd", timeZone = "Europe/London", emailDomains = new[] { "client.example" } })).EnsureSuccessStatusCode();
        (await admin.PutAsJsonAsync("/api/accounts/other", new { name = "Other plc", timeZone = "Europe/London", emailDomains = new[] { "other.example" } })).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/accounts/client/users", new { id = "jane", email = "jane@client.example", name = "Jane Doe", password = "password-of-jane-123", sendInvitation = false })).EnsureSuccessStatusCode();
        return factory;
    }

    private static byte[] Load(string file, IReadOnlyDictionary<string, long> tickets)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Corpus", file));
        foreach (var (name, id) in tickets)
        {
            text = text.Replace($"%TICKET:{name}%", id.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }

        return Encoding.UTF8.GetBytes(text.Replace("\n", "\r\n", StringComparison.Ordinal));
    }

    private static async Task<IReadOnlyList<TicketEvent>> HistoryAsync(PlatformFactory factory, long id) =>
        [.. (await factory.Services.GetRequiredService<IGrainFactory>().GetGrain<ITicketGrain>(id).GetHistory(false)).Select(h => h.Event)];

    /// <summary>Polls <paramref name="path"/> until <paramref name="done"/> (the notification dispatcher delivers in the background).</summary>
    private static async Task<JsonNode> UntilAsync(HttpClient client, string path, Func<JsonNode, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var node = JsonNode.Parse(await client.GetStringAsync(path))!;
            if (done(node))
            {
                return node;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting on {path}: {node.ToJsonString()[..Math.Min(2000, node.ToJsonString().Length)]}");
            await Task.Delay(100);
        }
    }

    private static Task<TicketView?> TicketAsync(PlatformFactory factory, long id) =>
        factory.Services.GetRequiredService<IGrainFactory>().GetGrain<ITicketGrain>(id).Get();

    [Fact]
    public async Task Corpus_EachMessage_HasItsExpectedOutcome_AndIsImportedOnce()
    {
        using var factory = await HostAsync(new Dictionary<string, string?> { ["SupportPlatform:Email:Inbound:AutoReplyLimit"] = "100" });
        using var watcher = await factory.CreateStaffClientAsync("agent", "mailwatch", "Mail Watch");
        (await watcher.PutAsJsonAsync("/api/notifications/preferences", new
        {
            channels = new Dictionary<string, string[]> { ["client-reply"] = ["in-app"], ["mail-triage"] = ["in-app"], ["mail-bounce"] = ["in-app"] },
        })).EnsureSuccessStatusCode();
        var sink = factory.Services.GetRequiredService<IInboundMailSink>();
        var tickets = new Dictionary<string, long>(StringComparer.Ordinal);
        var failures = new List<string>();
        foreach (var (file, expected) in Corpus)
        {
            var name = Path.GetFileNameWithoutExtension(file);
            var content = Load(file, tickets);
            var result = await sink.AcceptAsync(new InboundMail("corpus", file, content, Received), CancellationToken.None);
            var kind = expected.Split(':')[0];
            var argument = expected.Contains(':', StringComparison.Ordinal) ? expected[(expected.IndexOf(':', StringComparison.Ordinal) + 1)..] : null;
            var ok = kind switch
            {
                "created" => result.Disposition == InboundMailDisposition.TicketCreated && result.TicketId is { } t
                    && (await TicketAsync(factory, long.Parse(t, System.Globalization.CultureInfo.InvariantCulture)))?.AccountId == argument,
                "comment" => result.Disposition == InboundMailDisposition.CommentAdded && result.TicketId == tickets[argument!].ToString(System.Globalization.CultureInfo.InvariantCulture),
                "triaged" => result.Disposition == InboundMailDisposition.Triaged && result.TicketId is null,
                "quarantined" => result.Disposition == InboundMailDisposition.Quarantined && result.Reason is not null
                    && result.Reason.StartsWith(argument switch { "unparseable" => "Unparseable", "loop" => "Loop", "suspicious" => "Suspicious", _ => "?" }, StringComparison.Ordinal),
                "ignored" => result.Disposition == InboundMailDisposition.Ignored && !string.IsNullOrEmpty(result.Reason),
                _ => false,
            };
            if (!ok)
            {
                failures.Add($"{file}: expected {expected}, got {result}");
                continue;
            }

            if (result.TicketId is { } ticket && kind == "created")
            {
                tickets[name] = long.Parse(ticket, System.Globalization.CultureInfo.InvariantCulture);
            }

            // Offered again (as an IMAP source does after a crash): the same outcome, never a second import.
            var again = await sink.AcceptAsync(new InboundMail("corpus", file, content, Received), CancellationToken.None);
            if (again.Disposition != InboundMailDisposition.Duplicate || again.TicketId != result.TicketId)
            {
                failures.Add($"{file}: offered again, expected a duplicate of {result.TicketId}, got {again}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // Content: the signature and the quoted history are kept apart from the new text; HTML is sanitised.
        var plain = (await TicketAsync(factory, tickets["01-plain"]))!;
        Assert.Equal(TicketChannel.Email, plain.Channel);
        Assert.Equal("jane", plain.RequesterId);
        Assert.StartsWith("Hello,", plain.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("Office Manager", plain.Description, StringComparison.Ordinal);
        Assert.Equal(Received.ToUnixTimeMilliseconds(), plain.CreatedAt.ToUnixTimeMilliseconds());
        var html = (await TicketAsync(factory, tickets["02-html-only"]))!;
        Assert.Contains("access denied", html.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("alert", html.Description, StringComparison.Ordinal);
        Assert.Equal("bob@client.example", html.RequesterId);
        Assert.Equal(Priority.High, (await TicketAsync(factory, tickets["03-alternative-urgent"]))!.Priority);
        Assert.Equal(Priority.Normal, plain.Priority);
        var files = (await TicketAsync(factory, tickets["04-attachments"]))!.Attachments;
        Assert.Equal(new[] { "invoice-0042.pdf", "screenshot.png" }, files.Select(f => f.FileName).Order().ToArray());
        Assert.Equal("Drucker im Büro geht nicht – bitte helfen", (await TicketAsync(factory, tickets["05-encoded-headers"]))!.Subject);
        Assert.Contains("Your domain client.example expires on 4 December 2026", (await TicketAsync(factory, tickets["13-forwarded"]))!.Description, StringComparison.Ordinal);
        Assert.Equal(Priority.High, (await TicketAsync(factory, tickets["18-monitoring"]))!.Priority);

        var replies = (await HistoryAsync(factory, tickets["01-plain"])).OfType<CommentAdded>().ToList();
        Assert.Equal(2, replies.Count);
        Assert.Equal("It also happens on the 3rd floor printer now.", replies[0].Body);
        Assert.Equal(ActorKind.Client, replies[0].Actor.Kind);
        Assert.Equal("carol@client.example", replies[1].Actor.Id);
        var apple = (await HistoryAsync(factory, tickets["02-html-only"])).OfType<CommentAdded>().Single();
        Assert.Equal("It works again after a restart, thanks!", apple.Body);
        var outlook = (await HistoryAsync(factory, tickets["03-alternative-urgent"])).OfType<CommentAdded>().Single();
        Assert.Equal("Some people can receive again, but sending still fails.\n\nJane", outlook.Body);

        // A token from another account's sender never reaches that ticket: a ticket of their own, with a note for staff.
        var foreign = (await HistoryAsync(factory, tickets["10-foreign-token"])).OfType<CommentAdded>().Single();
        Assert.Equal(CommentVisibility.Internal, foreign.Visibility);
        Assert.Contains($"ticket #{tickets["01-plain"]}", foreign.Body, StringComparison.Ordinal);
        Assert.DoesNotContain((await HistoryAsync(factory, tickets["01-plain"])).OfType<CommentAdded>(), c => c.Body.Contains("everything you have", StringComparison.Ordinal));

        using var staff = await factory.CreateStaffClientAsync("agent");

        // Acknowledgements: to new human requesters, marked auto-replied; none to monitoring, out-of-office, bounces.
        var outbox = JsonNode.Parse(await staff.GetStringAsync("/api/admin/mail/outbox?pageSize=200"))!.AsArray();
        var acks = outbox.Where(m => m!["purpose"]!.GetValue<string>() == "mail-acknowledgement").ToList();
        Assert.Contains(acks, m => m!["to"]!.GetValue<string>() == "jane@client.example" && m["subject"]!.GetValue<string>() == $"[#{tickets["01-plain"]}] We received your request: Printer on 2nd floor jams");
        Assert.DoesNotContain(acks, m => m!["to"]!.GetValue<string>() is "alerts@client.example" or "jurgen@client.example" && m["subject"]!.GetValue<string>().StartsWith("Automatic", StringComparison.Ordinal));
        Assert.DoesNotContain(acks, m => m!["to"]!.GetValue<string>() == "alerts@client.example");
        Assert.Equal(tickets.Count, acks.Count + 1); // every created ticket but the monitoring one

        // Staff are told through the notification service: the subscriber in the console, the team mailbox by mail.
        var mine = await UntilAsync(watcher, "/api/notifications/mine", n => n.AsArray().Select(x => (string?)x!["eventType"]).Distinct().Count() >= 3);
        Assert.Contains(mine.AsArray(), n => (string?)n!["eventType"] == "mail-bounce" && ((string?)n["subject"])!.StartsWith("Mail bounced: left@client.example", StringComparison.Ordinal));
        Assert.Contains(mine.AsArray(), n => (string?)n!["eventType"] == "mail-triage" && ((string?)n["subject"])!.StartsWith("Mail from someone@unknown.example waits in triage", StringComparison.Ordinal));
        Assert.Contains(mine.AsArray(), n => (string?)n!["eventType"] == "client-reply" && (long?)n["ticketId"] == tickets["01-plain"]);
        var team = (await UntilAsync(staff, "/api/admin/mail/outbox?pageSize=200", n => n.AsArray().Count(m => (string?)m!["to"] == "team@msp.example") >= tickets.Count + 2))
            .AsArray().Where(m => (string?)m!["to"] == "team@msp.example").Select(m => ((string?)m!["purpose"], (string?)m["subject"])).ToList();
        Assert.Contains(team, m => m == ("notification-mail-bounce", "Mail bounced: left@client.example"));
        Assert.Contains(team, m => m.Item1 == "notification-mail-triage" && m.Item2!.StartsWith("Mail from someone@unknown.example waits in triage", StringComparison.Ordinal));
        Assert.Contains(team, m => m == ("notification-new-ticket", $"[#{tickets["01-plain"]}] New ticket by mail from jane@client.example: Printer on 2nd floor jams"));
        Assert.Contains(team, m => m.Item1 == "notification-client-reply" && m.Item2!.StartsWith($"[#{tickets["01-plain"]}] Reply by mail from", StringComparison.Ordinal));

        // The bounce marked the address for staff.
        var bounced = JsonNode.Parse(await staff.GetStringAsync("/api/mail/addresses?bounced=true"))!.AsArray();
        Assert.Equal("left@client.example", Assert.Single(bounced)!["address"]!.GetValue<string>());
        Assert.Equal("5.1.1", bounced[0]!["bounceStatus"]!.GetValue<string>());

        // The message view keeps the parts apart and shows sanitised HTML only.
        var mails = JsonNode.Parse(await staff.GetStringAsync($"/api/mail/messages?ticketId={tickets["02-html-only"]}"))!.AsArray();
        Assert.Equal(2, mails.Count);
        var original = mails.Single(m => m!["messageId"]!.GetValue<string>() == "html-only-0002@client.example")!;
        var view = JsonNode.Parse(await staff.GetStringAsync($"/api/mail/messages/{original["id"]!.GetValue<string>()}"))!;
        Assert.DoesNotContain("<script", view["html"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("onerror", view["html"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("tracker.example", view["html"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("<b>S:\\Projects</b>", view["html"]!.GetValue<string>(), StringComparison.Ordinal);
        var reply = JsonNode.Parse(await staff.GetStringAsync($"/api/mail/messages?ticketId={tickets["01-plain"]}"))!.AsArray()
            .Single(m => m!["messageId"]!.GetValue<string>() == "CAJane0006@mail.client.example");
        var replyView = JsonNode.Parse(await staff.GetStringAsync($"/api/mail/messages/{reply!["id"]!.GetValue<string>()}"))!;
        Assert.StartsWith("On Fri, 27 Nov 2026", replyView["quoted"]!.GetValue<string>(), StringComparison.Ordinal);
        var first = JsonNode.Parse(await staff.GetStringAsync($"/api/mail/messages?ticketId={tickets["01-plain"]}"))!.AsArray()
            .Single(m => m!["messageId"]!.GetValue<string>() == "CAJane0001@mail.client.example");
        Assert.StartsWith("Jane Doe | Office Manager", JsonNode.Parse(await staff.GetStringAsync($"/api/mail/messages/{first!["id"]!.GetValue<string>()}"))!["signature"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quarantine_And_Triage_AreInspected_Released_Discarded_Assigned_AndReconciled()
    {
        using var factory = await HostAsync();
        var sink = factory.Services.GetRequiredService<IInboundMailSink>();
        var none = new Dictionary<string, long>();
        await sink.AcceptAsync(new InboundMail("imap:support", "INBOX/1/1", Load("20-executable.eml", none), Received), CancellationToken.None);
        await sink.AcceptAsync(new InboundMail("imap:support", "INBOX/1/2", Load("19-loop.eml", none), Received), CancellationToken.None);
        await sink.AcceptAsync(new InboundMail("imap:support", "INBOX/1/3", Load("11-unknown-sender.eml", none), Received), CancellationToken.None);
        await sink.AcceptAsync(new InboundMail("imap:support", "INBOX/1/4", Load("01-plain.eml", none), Received), CancellationToken.None);
        await sink.ReportSourceStatusAsync(new InboundSourceStatus("imap:support", "imap://mail.msp.example:993/INBOX as support@", 4, DateTimeOffset.UtcNow, null), CancellationToken.None);

        using var client = await factory.CreateClientUserClientAsync("client");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/mail/quarantine")).StatusCode);
        using var staff = await factory.CreateStaffClientAsync("agent");
        var held = JsonNode.Parse(await staff.GetStringAsync("/api/mail/quarantine"))!.AsArray();
        Assert.Equal(new[] { "loop", "suspicious" }, held.Select(h => h!["hold"]!.GetValue<string>()).Order().ToArray());
        var exe = held.Single(h => h!["hold"]!.GetValue<string>() == "suspicious")!["id"]!.GetValue<string>();
        var loop = held.Single(h => h!["hold"]!.GetValue<string>() == "loop")!["id"]!.GetValue<string>();

        var inspected = JsonNode.Parse(await staff.GetStringAsync($"/api/mail/quarantine/{exe}"))!;
        Assert.Contains("invoice.pdf.exe", inspected["message"]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(inspected["headers"]!.AsArray(), h => h!["name"]!.GetValue<string>() == "Message-ID");
        var raw = await staff.GetByteArrayAsync($"/api/mail/quarantine/{exe}/raw");
        Assert.Equal(Load("20-executable.eml", none), raw);

        // Release: processed again ignoring what held it; the refused file is left out and said so.
        var release = await staff.PostAsync($"/api/mail/quarantine/{exe}/release", null);
        Assert.True(release.IsSuccessStatusCode, await release.Content.ReadAsStringAsync());
        var released = JsonNode.Parse(await release.Content.ReadAsStringAsync())!;
        Assert.Equal("ticket-created", released["disposition"]!.GetValue<string>());
        var ticket = long.Parse(released["ticketId"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains((await HistoryAsync(factory, ticket)).OfType<CommentAdded>(), c => c.Visibility == CommentVisibility.Internal && c.Body.Contains("invoice.pdf.exe", StringComparison.Ordinal));

        // Discard: recorded with who and why, not deleted.
        Assert.Equal(HttpStatusCode.NoContent, (await staff.PostAsJsonAsync($"/api/mail/quarantine/{loop}/discard", new { reason = "our own acknowledgement" })).StatusCode);
        Assert.Empty(JsonNode.Parse(await staff.GetStringAsync("/api/mail/quarantine"))!.AsArray());
        var discarded = JsonNode.Parse(await staff.GetStringAsync($"/api/mail/messages/{loop}"))!["message"]!;
        Assert.Equal("discarded", discarded["disposition"]!.GetValue<string>());
        Assert.Contains("our own acknowledgement", discarded["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await staff.PostAsync($"/api/mail/quarantine/{loop}/release", null)).StatusCode);

        // Triage: assigning opens the ticket in that account, with the SLA from when the mail was received.
        var triage = Assert.Single(JsonNode.Parse(await staff.GetStringAsync("/api/mail/triage"))!.AsArray())!;
        var bad = await staff.PostAsJsonAsync($"/api/mail/triage/{triage["id"]!.GetValue<string>()}/assign", new { accountId = "nope" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        Assert.Contains("'nope' does not exist", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var assigned = JsonNode.Parse(await (await staff.PostAsJsonAsync($"/api/mail/triage/{triage["id"]!.GetValue<string>()}/assign", new { accountId = "other", priority = "high" })).EnsureSuccessStatusCode().Content.ReadAsStringAsync())!;
        var fromTriage = (await TicketAsync(factory, long.Parse(assigned["ticketId"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)))!;
        Assert.Equal("other", fromTriage.AccountId);
        Assert.Equal("someone@unknown.example", fromTriage.RequesterId);
        Assert.Equal(Priority.High, fromTriage.Priority);
        Assert.Equal(Received.ToUnixTimeMilliseconds(), fromTriage.CreatedAt.ToUnixTimeMilliseconds());
        Assert.Empty(JsonNode.Parse(await staff.GetStringAsync("/api/mail/triage"))!.AsArray());

        var source = Assert.Single(JsonNode.Parse(await staff.GetStringAsync("/api/mail/sources"))!.AsArray())!;
        Assert.Equal("imap:support", source["sourceId"]!.GetValue<string>());
        Assert.Equal(4, source["messagesAtSource"]!.GetValue<long>());
        Assert.Equal(4, source["importedTotal"]!.GetValue<long>());
        Assert.Equal(3, source["imported"]!["ticket-created"]!.GetValue<long>());
        Assert.Equal(1, source["imported"]!["discarded"]!.GetValue<long>());
    }

    [Fact]
    public async Task OversizedMessage_ThroughTheIntakeEndpoint_IsQuarantined_AndTheSenderToldOnce()
    {
        using var factory = await HostAsync();
        using var staff = await factory.CreateStaffClientAsync("agent");
        var builder = new StringBuilder();
        builder.Append("From: Jane Doe <jane@client.example>\r\nTo: support@msp.example\r\nSubject: Full disk image\r\nMessage-ID: <huge-1@client.example>\r\n")
            .Append("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHere is the image.\r\n--b\r\n")
            .Append("Content-Type: application/octet-stream; name=\"disk.img\"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        var line = new string('A', 76) + "\r\n";
        while (builder.Length < 30 * 1024 * 1024)
        {
            builder.Append(line);
        }

        var message = Encoding.ASCII.GetBytes(builder.Append("--b--\r\n").ToString());
        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var content = new ByteArrayContent(message);
            var response = await staff.PostAsync("/api/mail/inbound/pipe", content);
            var body = JsonNode.Parse(await response.EnsureSuccessStatusCode().Content.ReadAsStringAsync())!;
            Assert.Equal(attempt == 0 ? "quarantined" : "duplicate", body["disposition"]!.GetValue<string>());
            Assert.Contains($"{message.Length} bytes", body["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        var held = Assert.Single(JsonNode.Parse(await staff.GetStringAsync("/api/mail/quarantine"))!.AsArray())!;
        Assert.Equal("oversized", held["hold"]!.GetValue<string>());
        Assert.Equal(message.Length, held["size"]!.GetValue<long>());
        var outbox = JsonNode.Parse(await staff.GetStringAsync("/api/admin/mail/outbox?pageSize=200"))!.AsArray();
        var rejection = Assert.Single(outbox, m => m!["purpose"]!.GetValue<string>() == "mail-rejected")!;
        Assert.Equal("jane@client.example", rejection["to"]!.GetValue<string>());
        Assert.Equal("Your message could not be accepted: Full disk image", rejection["subject"]!.GetValue<string>());

        var empty = await staff.PostAsync("/api/mail/inbound/pipe", new ByteArrayContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Contains("body is empty", await empty.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, (await staff.PostAsync("/api/mail/inbound/bad%20source", new ByteArrayContent(message[..100]))).StatusCode);
    }

    [Fact]
    public async Task AutoReplies_AreLimitedPerSender_AndCarryAutoSubmitted()
    {
        using var factory = await HostAsync(new Dictionary<string, string?> { ["SupportPlatform:Email:Inbound:AutoReplyLimit"] = "2" });
        var sink = factory.Services.GetRequiredService<IInboundMailSink>();
        for (var i = 0; i < 4; i++)
        {
            var mail = $"From: Bob <bob@client.example>\r\nTo: support@msp.example\r\nSubject: Question {i}\r\nMessage-ID: <q{i}@client.example>\r\n\r\nQuestion number {i}.\r\n";
            Assert.Equal(InboundMailDisposition.TicketCreated, (await sink.AcceptAsync(new InboundMail("pipe", null, Encoding.UTF8.GetBytes(mail), Received), CancellationToken.None)).Disposition);
        }

        using var staff = await factory.CreateStaffClientAsync("agent");
        var outbox = JsonNode.Parse(await staff.GetStringAsync("/api/admin/mail/outbox?pageSize=200"))!.AsArray();
        Assert.Equal(2, outbox.Count(m => m!["purpose"]!.GetValue<string>() == "mail-acknowledgement"));
        await UntilAsync(staff, "/api/admin/mail/outbox?pageSize=200", n => n.AsArray().Count(m => (string?)m!["purpose"] == "notification-new-ticket" && (string?)m["to"] == "team@msp.example") == 4);
        var counted = JsonNode.Parse(await staff.GetStringAsync("/api/mail/addresses"))!.AsArray().Single(a => a!["address"]!.GetValue<string>() == "bob@client.example")!;
        Assert.Equal(2, counted["autoRepliesInWindow"]!.GetValue<long>());
    }

    [Fact]
    public async Task ConcurrentOffers_ReplyWithItsParent_ThreadsOnIt_DuplicatesSuppressed_FinishesShareTransactions()
    {
        using var factory = await HostAsync();
        var sink = factory.Services.GetRequiredService<IInboundMailSink>();
        var finisher = factory.Services.GetRequiredService<SupportPlatform.Email.Inbound.InboundFinisher>();
        var before = finisher.Transactions;
        const int Pairs = 20;
        static InboundMail Mail(int pair, bool reply) => new("imap:test", null, Encoding.UTF8.GetBytes(
            $"From: Sender {pair} <s{pair}@client.example>\r\nTo: support@msp.example\r\nSubject: {(reply ? "Re: " : "")}Concurrent {pair}\r\n" +
            $"Message-ID: <{(reply ? "reply" : "parent")}-{pair}@client.example>\r\n{(reply ? $"In-Reply-To: <parent-{pair}@client.example>\r\n" : "")}\r\n" +
            $"{(reply ? "A reply" : "A question")} number {pair}.\r\n"), Received);

        // Handed over as an adapter with several messages in flight does: in order, without waiting, the reply right
        // after its parent (whose ticket does not exist yet), and the parent offered a second time meanwhile.
        var offers = new List<(int Pair, string Kind, Task<InboundMailResult> Result)>();
        for (var pair = 0; pair < Pairs; pair++)
        {
            offers.Add((pair, "parent", sink.AcceptAsync(Mail(pair, reply: false), CancellationToken.None)));
            offers.Add((pair, "reply", sink.AcceptAsync(Mail(pair, reply: true), CancellationToken.None)));
            offers.Add((pair, "again", sink.AcceptAsync(Mail(pair, reply: false), CancellationToken.None)));
        }

        await Task.WhenAll(offers.Select(o => o.Result));
        for (var pair = 0; pair < Pairs; pair++)
        {
            var parent = await offers.Single(o => o.Pair == pair && o.Kind == "parent").Result;
            var reply = await offers.Single(o => o.Pair == pair && o.Kind == "reply").Result;
            var again = await offers.Single(o => o.Pair == pair && o.Kind == "again").Result;
            // Either offer of the parent may store it first; the other is answered Duplicate with the same ticket.
            var outcomes = new[] { parent.Disposition, again.Disposition };
            Assert.Contains(InboundMailDisposition.TicketCreated, outcomes);
            Assert.Contains(InboundMailDisposition.Duplicate, outcomes);
            Assert.Equal(parent.TicketId, again.TicketId);
            Assert.Equal(InboundMailDisposition.CommentAdded, reply.Disposition);
            Assert.Equal(parent.TicketId, reply.TicketId);
        }

        using var staff = await factory.CreateStaffClientAsync("agent");
        var outbox = JsonNode.Parse(await staff.GetStringAsync("/api/admin/mail/outbox?pageSize=200"))!.AsArray();
        Assert.Equal(Pairs, outbox.Count(m => m!["purpose"]!.GetValue<string>() == "mail-acknowledgement"));
        var tickets = offers.Where(o => o.Kind == "parent").Select(o => o.Result.Result.TicketId).Distinct().Count();
        Assert.Equal(Pairs, JsonNode.Parse(await staff.GetStringAsync("/api/tickets?channel=email&pageSize=100"))!["items"]!.AsArray().Count);
        Assert.Equal(Pairs, tickets);
        // 40 messages finished (the duplicates write nothing): in fewer transactions than messages.
        Assert.InRange(finisher.Transactions - before, 1, (2 * Pairs) - 1);
    }

    [Fact]
    public async Task AccountEmailDomains_AreValidated_AndBelongToOneAccount()
    {
        using var factory = await HostAsync();
        using var admin = factory.CreateClient(await factory.Users.AdminTokenAsync());
        var invalid = await admin.PutAsJsonAsync("/api/accounts/third", new { name = "Third", timeZone = "Europe/London", emailDomains = new[] { "not a domain" } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
        Assert.Contains("'not a domain' is not a domain name", await invalid.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var taken = await admin.PutAsJsonAsync("/api/accounts/third", new { name = "Third", timeZone = "Europe/London", emailDomains = new[] { "Client.Example" } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, taken.StatusCode);
        Assert.Contains("already belongs to account 'client'", await taken.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var account = JsonNode.Parse(await admin.GetStringAsync("/api/accounts/client"))!;
        Assert.Equal("client.example", account["emailDomains"]![0]!.GetValue<string>());

        // A subdomain belongs to the account too.
        var sink = factory.Services.GetRequiredService<IInboundMailSink>();
        var result = await sink.AcceptAsync(new InboundMail("pipe", null, "From: x@eu.client.example\r\nSubject: hi\r\n\r\nhello\r\n"u8.ToArray(), Received), CancellationToken.None);
        Assert.Equal("client", (await TicketAsync(factory, long.Parse(result.TicketId!, System.Globalization.CultureInfo.InvariantCulture)))!.AccountId);
    }

    [Fact]
    public async Task MailAdapterPlugin_HandsMailToTheSink_ThroughTheHost()
    {
        using var plugins = new TempDirectory("sp-mail-plugins-");
        var source = Path.Combine(AppContext.BaseDirectory, "plugin-fixtures", "SupportPlatform.PluginFixtures.Webhook");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(plugins.Path, "webhook", Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        using var factory = await HostAsync(new Dictionary<string, string?> { ["SupportPlatform:Plugins:Path"] = plugins.Path });
        using var anonymous = factory.Users.Anonymous();
        var mail = "From: Jane Doe <jane@client.example>\r\nSubject: Sent through a plugin\r\nMessage-ID: <plugin-1@client.example>\r\n\r\nHello from the adapter.\r\n";
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var response = await anonymous.PostAsync("/hooks/fixture-webhook/mail", new StringContent(mail, Encoding.ASCII, "message/rfc822"));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, body);
            Assert.Contains(attempt == 0 ? "\"TicketCreated\"" : "\"Duplicate\"", body, StringComparison.Ordinal);
        }

        using var staff = await factory.CreateStaffClientAsync("agent");
        var tickets = JsonNode.Parse(await staff.GetStringAsync("/api/tickets?channel=email"))!["items"]!.AsArray();
        Assert.Equal("Sent through a plugin", Assert.Single(tickets)!["subject"]!.GetValue<string>());
        var sources = JsonNode.Parse(await staff.GetStringAsync("/api/mail/sources"))!.AsArray();
        Assert.Equal("fixture", Assert.Single(sources)!["sourceId"]!.GetValue<string>());
    }
}
