using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Ctl.Tests;

public sealed class BackupRestoreTests
{
    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 7, 7, 7, 7];

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.PostgreSql)]
    public async Task Backup_WhileHostWrites_RestoresEverythingOntoAFreshInstall(DatabaseProvider provider)
    {
        var sourceDb = provider == DatabaseProvider.PostgreSql ? await PostgresServer.Shared.CreateDatabaseAsync("backup") : null;
        using var archiveFolder = new TempDirectory("sp-backup-");
        var archive = Path.Combine(archiveFolder.Path, "backup.tar.gz");
        string token;
        long[] before;
        byte[] attachment;
        var template = "Subject: Custom {{ ticket.subject }}\n\nOur own words.\n";
        string sourceData;
        var source = new PlatformFactory(postgres: sourceDb);
        try
        {
            sourceData = source.DataPath;
            token = await source.Users.StaffTokenAsync("admin", "ops", "Ops Admin");
            using var client = source.CreateClient(token);
            Assert.True((await client.PutAsJsonAsync("/api/accounts/acme", new { name = "Acme", timeZone = "Europe/London" })).IsSuccessStatusCode);
            before = [await NewTicket(client, "Before 1"), await NewTicket(client, "Before 2")];
            using (var form = new MultipartFormDataContent())
            {
                var part = new ByteArrayContent(Png);
                part.Headers.ContentType = MediaTypeHeaderValue.Parse("image/png");
                form.Add(part, "files", "screen.png");
                var upload = await client.PostAsync($"/api/tickets/{before[0]}/attachments", form);
                Assert.True(upload.IsSuccessStatusCode, await upload.Content.ReadAsStringAsync());
            }

            attachment = await File.ReadAllBytesAsync(Directory.GetFiles(Path.Combine(source.DataPath, "attachments"), "*", SearchOption.AllDirectories).Single());
            Directory.CreateDirectory(Path.Combine(source.DataPath, "templates"));
            await File.WriteAllTextAsync(Path.Combine(source.DataPath, "templates", "ticket-created.sbn"), template);

            // The host keeps taking tickets while the backup runs.
            using var stop = new CancellationTokenSource();
            var written = 0;
            var firstWrite = new TaskCompletionSource();
            var writer = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await NewTicket(client, $"During {written}");
                    written++;
                    firstWrite.TrySetResult();
                }
            });
            await firstWrite.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var output = await Ctl.OkAsync(source, ["backup", archive, "--data-path", source.DataPath, .. Postgres(sourceDb)]);
            await stop.CancelAsync();
            await writer;
            Assert.Contains($"{provider} database", output, StringComparison.Ordinal);
            Assert.True(written > 0);
        }
        finally
        {
            source.Dispose();
        }

        // A fresh machine: empty data folder, empty database.
        var targetDb = provider == DatabaseProvider.PostgreSql ? await PostgresServer.Shared.CreateDatabaseAsync("restore") : null;
        using var targetData = new TempDirectory("sp-restored-");
        await Ctl.OkAsync(null, ["restore", archive, "--data-path", targetData.Path, .. Postgres(targetDb)]);

        // A second restore onto the now filled install is refused, and says how to override.
        var again = await Ctl.RunAsync(null, ["restore", archive, "--data-path", targetData.Path, .. Postgres(targetDb)]);
        Assert.Equal(1, again.Code);
        Assert.Contains("not empty", again.Error, StringComparison.Ordinal);
        Assert.Contains("--force", again.Error, StringComparison.Ordinal);

        Assert.Equal(template, await File.ReadAllTextAsync(Path.Combine(targetData.Path, "templates", "ticket-created.sbn")));
        using var restored = new PlatformFactory(dataPath: targetData.Path, postgres: targetDb);
        // The token (hashed with the key kept in the database) still works: users, tokens and keys came back.
        using var restoredClient = restored.CreateClient(token);
        foreach (var (id, subject) in before.Zip(["Before 1", "Before 2"]))
        {
            var ticket = JsonDocument.Parse(await restoredClient.GetStringAsync($"/api/tickets/{id}")).RootElement;
            Assert.Equal(subject, ticket.GetProperty("subject").GetString());
        }

        var files = Directory.GetFiles(Path.Combine(targetData.Path, "attachments"), "*", SearchOption.AllDirectories);
        Assert.Equal(attachment, await File.ReadAllBytesAsync(Assert.Single(files)));
        var history = await restoredClient.GetStringAsync($"/api/tickets/{before[0]}/history");
        Assert.Contains("screen.png", history, StringComparison.Ordinal);

        // The restored install takes new work.
        await NewTicket(restoredClient, "After restore");
        Assert.NotEqual(sourceData, targetData.Path);
    }

    [Fact]
    public async Task Restore_DamagedArchive_RefusedWithNothingWritten()
    {
        using var folder = new TempDirectory("sp-badbackup-");
        var archive = Path.Combine(folder.Path, "cut.tar.gz");
        await File.WriteAllBytesAsync(archive, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]);
        var target = Path.Combine(folder.Path, "data");
        var (code, _, error) = await Ctl.RunAsync(null, "restore", archive, "--data-path", target);
        Assert.Equal(1, code);
        Assert.Contains("cut short", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(target));
    }

    private static string[] Postgres(string? connectionString) => connectionString is null ? [] : ["--connection-string", connectionString];

    private static async Task<long> NewTicket(HttpClient client, string subject)
    {
        var response = await client.PostAsJsonAsync("/api/tickets", new { accountId = "acme", requesterId = "bob", subject });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created || response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt64();
    }
}
