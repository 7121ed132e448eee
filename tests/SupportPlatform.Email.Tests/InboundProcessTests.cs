using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Email.Tests;

public sealed class SqliteInboundProcessTests : InboundProcessTests
{
    // The 1,000 messages run on PostgreSQL, the production back-end; the embedded one checks the same property
    // with fewer, to keep the suite's time.
    protected override int Messages => 600;

    protected override Task<string?> DatabaseAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgreSqlInboundProcessTests : InboundProcessTests
{
    protected override int Messages => 1000;

    protected override async Task<string?> DatabaseAsync() => await PostgresServer.Shared.CreateDatabaseAsync("mailcrash");
}

/// <summary>The inbound endpoint and the mail pipe command against the host as a real process, killed mid-import.</summary>
public abstract class InboundProcessTests
{
    /// <summary>How many messages are imported while the host is killed (after 200 are acknowledged).</summary>
    protected abstract int Messages { get; }

    protected abstract Task<string?> DatabaseAsync();

    private static Dictionary<string, string> Environment(string data, string? postgres)
    {
        var env = HostProcess.Environment(data, postgres);
        env["SupportPlatform__Email__From"] = "Acme Support <support@msp.example>";

        // A cluster id of its own per process: on PostgreSQL the killed silo stays in the membership table until it is
        // voted dead, which is the clustering's business, not this test's; the mail and ticket tables do not depend on it.
        env["SupportPlatform__Cluster__ClusterId"] = "sp-mail-" + Guid.NewGuid().ToString("N")[..8];
        return env;
    }

    private static byte[] Message(int i)
    {
        // Every tenth message has no Message-ID: its content hash is the import key.
        var id = i % 10 == 0 ? "" : $"Message-ID: <crash-{i}@client.example>\r\n";
        return Encoding.UTF8.GetBytes($"From: User {i} <user{i}@client.example>\r\nTo: support@msp.example\r\nSubject: Crash test message {i}\r\n{id}Date: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\nBody of message {i}.\r\n");
    }

    private static async Task<(string Disposition, string? Ticket)?> PostAsync(HttpClient client, int i)
    {
        try
        {
            using var response = await client.PostAsync("/api/mail/inbound/pipe", new ByteArrayContent(Message(i)));
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            return (body["disposition"]!.GetValue<string>(), body["ticketId"]?.GetValue<string>());
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            return null;
        }
    }

    [Fact]
    public async Task HostKilledMidImport_EveryMessageOfferedAgain_IsFoundExactlyOnce()
    {
        using var data = new TempDirectory("sp-mailcrash-");
        var postgres = await DatabaseAsync();
        var acknowledged = new ConcurrentDictionary<int, string>();
        string token;
        await using (var host = HostProcess.Start(Environment(data.Path, postgres)))
        {
            await host.WaitReadyAsync(TimeSpan.FromSeconds(90));
            using (var admin = host.Users.WithToken(await host.Users.AdminTokenAsync()))
            {
                (await admin.PutAsJsonAsync("/api/accounts/client", new { name = "Client Ltd", timeZone = "Europe/London", emailDomains = new[] { "client.example" } })).EnsureSuccessStatusCode();
            }

            token = await host.Users.StaffTokenAsync("agent");
            using var client = host.Users.WithToken(token);
            client.Timeout = TimeSpan.FromSeconds(30);
            var killed = 0;
            await Parallel.ForEachAsync(Enumerable.Range(0, Messages), new ParallelOptions { MaxDegreeOfParallelism = 24 }, async (i, _) =>
            {
                if (Volatile.Read(ref killed) == 1)
                {
                    return;
                }

                if (await PostAsync(client, i) is { } answer)
                {
                    acknowledged[i] = answer.Ticket!;
                    if (acknowledged.Count >= 200 && Interlocked.Exchange(ref killed, 1) == 0)
                    {
                        host.Kill();
                    }
                }
            });
            Assert.Equal(1, killed);
        }

        Assert.InRange(acknowledged.Count, 200, Messages - 1);
        await using (var host = HostProcess.Start(Environment(data.Path, postgres)))
        {
            await host.WaitReadyAsync(TimeSpan.FromSeconds(90));
            using var client = host.Users.WithToken(token);
            client.Timeout = TimeSpan.FromSeconds(60);
            var answers = new ConcurrentDictionary<int, (string Disposition, string? Ticket)>();
            await Parallel.ForEachAsync(Enumerable.Range(0, Messages), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            {
                answers[i] = await PostAsync(client, i) ?? ("failed", null);
            });

            Assert.DoesNotContain(answers, a => a.Value.Disposition == "failed");
            foreach (var (i, ticket) in acknowledged)
            {
                Assert.Equal(("duplicate", ticket), answers[i]);
            }

            Assert.Equal(Messages, answers.Values.Select(a => a.Ticket).Distinct().Count());

            var subjects = new List<string>();
            for (var page = 1; ; page++)
            {
                var result = JsonNode.Parse(await client.GetStringAsync($"/api/tickets?channel=email&pageSize=200&page={page}"))!;
                var items = result["items"]!.AsArray();
                subjects.AddRange(items.Select(t => t!["subject"]!.GetValue<string>()));
                if (items.Count < 200)
                {
                    break;
                }
            }

            Assert.Equal(Messages, subjects.Count);
            Assert.Equal(Enumerable.Range(0, Messages).Select(i => $"Crash test message {i}").Order(StringComparer.Ordinal), subjects.Order(StringComparer.Ordinal));
            var source = JsonNode.Parse(await client.GetStringAsync("/api/mail/sources"))!.AsArray().Single()!;
            Assert.Equal(Messages, source["importedTotal"]!.GetValue<long>());
            Assert.Equal(Messages, source["imported"]!["ticket-created"]!.GetValue<long>());
        }
    }

    [Fact]
    public async Task MailPipe_ExitsZero_OnlyOnceStored_And75_WhenThePlatformCannotTakeIt()
    {
        using var data = new TempDirectory("sp-mailpipe-");
        var host = HostProcess.Start(Environment(data.Path, await DatabaseAsync()));
        try
        {
            await host.WaitReadyAsync(TimeSpan.FromSeconds(90));
            using (var admin = host.Users.WithToken(await host.Users.AdminTokenAsync()))
            {
                (await admin.PutAsJsonAsync("/api/accounts/client", new { name = "Client Ltd", timeZone = "Europe/London", emailDomains = new[] { "client.example" } })).EnsureSuccessStatusCode();
            }

            var token = await host.Users.StaffTokenAsync("agent");
            var message = "From: Pat <pat@client.example>\nTo: support@msp.example\nSubject: Piped request\nMessage-ID: <piped-1@client.example>\n\nPlease call me back.\n"u8.ToArray();
            var (code, error) = await PipeAsync(host.BaseAddress, token, message);
            Assert.True(code == 0, error);

            using var client = host.Users.WithToken(token);
            var tickets = JsonNode.Parse(await client.GetStringAsync("/api/tickets?channel=email"))!["items"]!.AsArray();
            Assert.Equal("Piped request", Assert.Single(tickets)!["subject"]!.GetValue<string>());
            Assert.Equal(0, (await PipeAsync(host.BaseAddress, token, message)).Code);
            Assert.Single(JsonNode.Parse(await client.GetStringAsync("/api/tickets?channel=email"))!["items"]!.AsArray());

            var (refused, why) = await PipeAsync(host.BaseAddress, "spt_not-a-token", message);
            Assert.Equal(75, refused);
            Assert.Contains("401", why, StringComparison.Ordinal);

            await host.StopAsync();
            var (down, reason) = await PipeAsync(host.BaseAddress, token, message);
            Assert.Equal(75, down);
            Assert.Contains("not reachable", reason, StringComparison.Ordinal);
            Assert.Equal(64, (await PipeAsync(host.BaseAddress, token, message, "--bogus")).Code);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    private static async Task<(int Code, string Error)> PipeAsync(Uri url, string token, byte[] message, params string[] extra)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "SupportPlatform.MailPipe.dll"), "--url", url.ToString(), "--source", "pipe", "--sender", "pat@client.example" },
            RedirectStandardInput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in extra)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["SP_MAILPIPE_TOKEN"] = token;
        using var process = Process.Start(info)!;
        await process.StandardInput.BaseStream.WriteAsync(message);
        process.StandardInput.Close();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, error);
    }
}
