using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using MailKit;
using Npgsql;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Benchmarks.Workloads;

/// <summary>
/// Mail import end to end: a real host process on the benchmark's PostgreSQL with the <c>email-imap</c> plugin installed
/// and configured against a Dovecot of the workload's own. The messages are delivered over LMTP beforehand into the
/// mailbox's INBOX while the plugin reads another folder; the clock starts when one IMAP MOVE puts them all in the
/// plugin's folder and stops when every message is stored as a ticket or a comment (counted in the database). Every
/// fifth message replies to the one before it by In-Reply-To, so threading is part of the figure, and the count of
/// comments proves that each reply found its parent although both arrived in the same pass.
/// </summary>
internal sealed class ImapEndToEndWorkload : IWorkload
{
    public const string Throughput = "mail import via IMAP end to end (durable)";
    private const string User = "support@test.local";
    private const string Folder = "Support";
    private const int Senders = 50;

    public string Name => "mail import via IMAP end to end";

    public async Task<IReadOnlyList<WorkloadResult>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var count = context.Pick(2_000, 10_000);
        var database = await BenchDatabase.CreateAsync(context.PostgresAdmin, "bench_imap", cancellationToken);
        // The source's own disk flushes are not what is measured, and with them delivering 10,000 messages over LMTP on a
        // busy machine took longer than the import: the workload's Dovecot does not fsync (the platform's PostgreSQL does).
        await using var dovecot = await DovecotServer.StartAsync(new DovecotOptions { ExtraSettings = ["mail_fsync = never"] });
        using var data = new TempDirectory("sp-bench-imap-e2e-");
        using (var client = await dovecot.ConnectAsync(User))
        {
            await client.GetFolder(client.PersonalNamespaces[0]).CreateAsync(Folder, true, cancellationToken);
            await client.DisconnectAsync(true, cancellationToken);
        }

        InstallPlugin(data.Path);
        var environment = HostProcess.Environment(data.Path, database.ConnectionString);
        environment["SupportPlatform__Email__From"] = "Bench Support <support@msp.example>";
        environment["Plugins__email-imap__mailboxes__0__id"] = "bench";
        environment["Plugins__email-imap__mailboxes__0__host"] = dovecot.Host;
        environment["Plugins__email-imap__mailboxes__0__port"] = dovecot.ImapPort.ToString(CultureInfo.InvariantCulture);
        environment["Plugins__email-imap__mailboxes__0__security"] = "none";
        environment["Plugins__email-imap__mailboxes__0__user"] = User;
        environment["Plugins__email-imap__mailboxes__0__password"] = DovecotServer.DefaultPassword;
        environment["Plugins__email-imap__mailboxes__0__folder"] = Folder;
        await using var host = HostProcess.Start(environment);
        await host.WaitReadyAsync(TimeSpan.FromSeconds(90));
        using (var admin = host.Users.WithToken(await host.Users.AdminTokenAsync()))
        {
            (await admin.PutAsJsonAsync("/api/accounts/bench", new { name = "Bench Ltd", timeZone = "Europe/London", emailDomains = new[] { "bench.example" } }, cancellationToken)).EnsureSuccessStatusCode();
        }

        // Warm-up (JIT, pools, the account's grain): a tenth of the size through the same path, not measured.
        var warm = Math.Max(100, count / 10);
        await RunAsync(dovecot, database, "warm", warm, 0, host, cancellationToken);
        var cpuBefore = host.TotalProcessorTime;
        var (elapsed, load) = await RunAsync(dovecot, database, "run", count, warm, host, cancellationToken);
        var cpuPerMessage = (host.TotalProcessorTime - cpuBefore).TotalMilliseconds / count;

        var rate = count / elapsed.TotalSeconds;
        context.Log.WriteLine($"  {count} messages imported end to end in {elapsed.TotalSeconds:0.0} s: {rate:0} msg/s, host CPU {cpuPerMessage:0.00} ms per message (load average {load})");
        return
        [
            new WorkloadResult(Throughput, rate, "msg/s", RawInsertBaseline.WorkloadName, null, true, new Dictionary<string, string>
            {
                ["messages"] = count.ToString(CultureInfo.InvariantCulture),
                ["replies threaded"] = (count / 5).ToString(CultureInfo.InvariantCulture),
                ["seconds"] = elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture),
                ["load average before/after"] = load,
                // Like ticket intake's: hardly moves when other work shares the machine, so it compares runs on a busy one.
                ["host CPU per message"] = cpuPerMessage.ToString("0.00", CultureInfo.InvariantCulture) + " ms",
                ["stored = delivered, every message moved"] = "yes",
            }, AbsoluteTarget: 200),
        ];
    }

    /// <summary>Delivers <paramref name="count"/> messages, moves them into the plugin's folder at once and waits until all are stored.</summary>
    private static async Task<(TimeSpan Elapsed, string Load)> RunAsync(
        DovecotServer dovecot, BenchDatabase database, string phase, int count, int before, HostProcess host, CancellationToken cancellationToken)
    {
        await dovecot.DeliverManyAsync(Enumerable.Range(0, count).Select(i => Message(phase, i)), "sender@bench.example", User);
        using var client = await dovecot.ConnectAsync(User);
        await client.Inbox.OpenAsync(FolderAccess.ReadWrite, cancellationToken);
        if (client.Inbox.Count != count)
        {
            throw new InvalidOperationException($"{client.Inbox.Count} of {count} messages were delivered");
        }

        var target = await client.GetFolderAsync(Folder, cancellationToken);
        var load = LoadAverage();
        var clock = Stopwatch.StartNew();
        await client.Inbox.MoveToAsync(new UniqueIdRange(0, 1, uint.MaxValue), target, cancellationToken);
        long stored = 0, tickets = 0, comments = 0;
        while (clock.Elapsed < TimeSpan.FromMinutes(10))
        {
            (stored, tickets, comments) = await CountAsync(database, cancellationToken);
            if (stored >= before + count)
            {
                break;
            }

            await Task.Delay(50, cancellationToken);
        }

        var elapsed = clock.Elapsed;
        load += " / " + LoadAverage();
        if (stored != before + count)
        {
            throw new InvalidOperationException($"{stored - before} of {count} messages stored within 10 minutes ({phase}):\n{Tail(host.Output)}");
        }

        // Every fifth message replies to the one before it: exactly that many comments, the rest new tickets.
        var expectedComments = (before / 5) + (count / 5);
        if (comments != expectedComments || tickets != before + count - expectedComments)
        {
            throw new InvalidOperationException($"{phase}: {tickets} tickets and {comments} comments, expected {before + count - expectedComments} and {expectedComments}: threading went wrong");
        }

        // Each message is moved to Imported once stored (the move may trail the commit by a group of 50).
        var moved = Stopwatch.StartNew();
        var folder = await client.GetFolderAsync(Folder, cancellationToken);
        await folder.OpenAsync(FolderAccess.ReadOnly, cancellationToken);
        while (folder.Count > 0 && moved.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100, cancellationToken);
            await client.NoOpAsync(cancellationToken);
        }

        if (folder.Count > 0)
        {
            throw new InvalidOperationException($"{folder.Count} stored messages were still not moved out of {Folder} after 30 s");
        }

        await client.DisconnectAsync(true, cancellationToken);
        return (elapsed, load);
    }

    private static byte[] Message(string phase, int i)
    {
        var sender = i % Senders;
        var reply = i % 5 == 4 ? $"In-Reply-To: <imap-{phase}-{i - 1}@bench.example>\r\n" : "";
        return Encoding.UTF8.GetBytes(
            $"From: User {sender} <user{sender}@bench.example>\r\nTo: support@test.local\r\nSubject: {(reply.Length > 0 ? "Re: " : "")}Bench IMAP {phase} {i}\r\n" +
            $"Message-ID: <imap-{phase}-{i}@bench.example>\r\n{reply}Date: Tue, 08 Dec 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
            $"The printer in room {i} does not print.\r\n\r\nOn Tue, 8 Dec 2026, Support wrote:\r\n> earlier text\r\n");
    }

    private static async Task<(long Stored, long Tickets, long Comments)> CountAsync(BenchDatabase database, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FILTER (WHERE disposition IN ('ticket-created', 'comment-added')), count(*) FILTER (WHERE disposition = 'ticket-created'), " +
            "count(*) FILTER (WHERE disposition = 'comment-added') FROM sp_inbound_mail WHERE state = 'done'", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    private static void InstallPlugin(string dataPath)
    {
        var source = Path.Combine(AppContext.BaseDirectory, "plugin", "email-imap");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(dataPath, "plugins", "email-imap", Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    private static string Tail(string output) => output.Length <= 4000 ? output : output[^4000..];
}
