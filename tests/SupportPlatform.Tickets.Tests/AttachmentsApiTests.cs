using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Tickets.Tests;

/// <summary>A host with small attachment limits (2 KiB per file, 3 files per upload).</summary>
public sealed class SmallAttachmentLimits : IAsyncLifetime
{
    public PlatformFactory Factory { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Factory = new PlatformFactory(extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:Attachments:MaxFileBytes"] = "2048",
            ["SupportPlatform:Attachments:MaxFiles"] = "3",
        });
        tokens["staff:alice"] = await Factory.Users.StaffTokenAsync("senior", "alice", "Alice Agent");
        using var client = Client("staff:alice:Alice Agent");
        await client.EnsureAccount("files");
        tokens["client:bob"] = await Factory.Users.ClientUserTokenAsync("files", "bob", "Bob Client");
    }

    private readonly Dictionary<string, string> tokens = [];

    public Task DisposeAsync()
    {
        Factory.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>A client signed in (API token) as <paramref name="actor"/> ("kind:id:name": alice is senior staff, bob a client user of "files").</summary>
    public HttpClient Client(string actor) => Factory.CreateClient(tokens[string.Join(':', actor.Split(':').Take(2))]);

    public string AttachmentFolder(long ticket) => Path.Combine(Factory.DataPath, "attachments", ticket.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

public sealed class AttachmentsApiTests(SmallAttachmentLimits host) : IClassFixture<SmallAttachmentLimits>
{
    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4];

    private async Task<long> NewTicket(HttpClient client)
    {
        var response = await client.PostAsJsonAsync("/api/tickets", new { accountId = "files", requesterId = "bob", subject = "Files" });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt64();
    }

    private static MultipartFormDataContent Form(params (string Name, string Type, byte[] Bytes)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, type, bytes) in files)
        {
            var part = new ByteArrayContent(bytes);
            part.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
            form.Add(part, "files", name);
        }

        return form;
    }

    private static async Task<JsonElement[]> Comments(HttpClient client, long ticket)
    {
        var history = JsonDocument.Parse(await client.GetStringAsync($"/api/tickets/{ticket}/history")).RootElement;
        return history.EnumerateArray().Select(e => e.GetProperty("event")).Where(e => e.GetProperty("kind").GetString() == "comment").ToArray();
    }

    [Fact]
    public async Task Upload_ValidFiles_RecordedAsOneCommentAndDownloadable()
    {
        using var client = host.Client("client:bob:Bob Client");
        var ticket = await NewTicket(client);
        using var form = Form(("screen.png", "image/png", Png), ("notes.txt", "text/plain", "line one\nline two"u8.ToArray()));
        form.Add(new StringContent("Here are the files."), "body");
        var response = await client.PostAsync($"/api/tickets/{ticket}/attachments", form);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        var comment = Assert.Single(await Comments(client, ticket));
        Assert.Equal("Here are the files.", comment.GetProperty("body").GetString());
        var attachments = comment.GetProperty("attachments").EnumerateArray().ToArray();
        Assert.Equal(["screen.png", "notes.txt"], attachments.Select(a => a.GetProperty("fileName").GetString()));
        Assert.Equal(["image/png", "text/plain"], attachments.Select(a => a.GetProperty("contentType").GetString()));

        using var download = await client.GetAsync($"/api/tickets/{ticket}/attachments/{attachments[0].GetProperty("id").GetString()}");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(Png, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/png", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Contains("sandbox", string.Join(";", download.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("page.html", "text/html", "<script>alert(1)</script>", 415, "text/html, which tickets do not accept")]
    [InlineData("logo.svg", "image/svg+xml", "<svg onload=alert(1)/>", 415, "image/svg+xml")]
    [InlineData("fake.png", "image/png", "not a png at all", 415, "its content is not that kind of file")]
    [InlineData("tool.exe", "application/octet-stream", "MZ....", 415, "no known file type")]
    [InlineData("empty.txt", "text/plain", "", 422, "is empty")]
    public async Task Upload_RefusedFile_SaysWhyAndKeepsNothing(string name, string type, string content, int status, string reason)
    {
        using var client = host.Client("staff:alice:Alice Agent");
        var ticket = await NewTicket(client);
        // A good file first: a refused one later in the same upload must not leave the first behind.
        using var form = Form(("ok.png", "image/png", Png), (name, type, System.Text.Encoding.UTF8.GetBytes(content)));
        var response = await client.PostAsync($"/api/tickets/{ticket}/attachments", form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
        Assert.Contains(reason, JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await Comments(client, ticket));
        Assert.Empty(Directory.Exists(host.AttachmentFolder(ticket)) ? Directory.GetFiles(host.AttachmentFolder(ticket)) : []);
    }

    [Fact]
    public async Task Upload_OverTheLimits_IsRefusedWithTheLimit()
    {
        using var client = host.Client("staff:alice:Alice Agent");
        var ticket = await NewTicket(client);
        var big = new byte[3000];
        Png.CopyTo(big, 0);
        using var tooBig = Form(("big.png", "image/png", big));
        var response = await client.PostAsync($"/api/tickets/{ticket}/attachments", tooBig);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("the limit is 2048 bytes", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var tooMany = Form(("1.png", "image/png", Png), ("2.png", "image/png", Png), ("3.png", "image/png", Png), ("4.png", "image/png", Png));
        response = await client.PostAsync($"/api/tickets/{ticket}/attachments", tooMany);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("at most 3 go in one upload", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        response = await client.PostAsJsonAsync($"/api/tickets/{ticket}/attachments", new { files = "nope" });
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Empty(await Comments(client, ticket));
    }

    [Fact]
    public async Task Download_InternalNoteAttachment_IsHiddenFromClients()
    {
        using var staff = host.Client("staff:alice:Alice Agent");
        var ticket = await NewTicket(staff);
        using var form = Form(("internal.png", "image/png", Png));
        form.Add(new StringContent("internal"), "visibility");
        var response = await staff.PostAsync($"/api/tickets/{ticket}/attachments", form);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var id = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("attachments")[0].GetProperty("id").GetString();

        Assert.Equal(HttpStatusCode.OK, (await staff.GetAsync($"/api/tickets/{ticket}/attachments/{id}")).StatusCode);
        using var client = host.Client("client:bob:Bob Client");
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/tickets/{ticket}/attachments/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await staff.GetAsync($"/api/tickets/{ticket}/attachments/../../etc/passwd")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await staff.GetAsync($"/api/tickets/999999/attachments/{id}")).StatusCode);
    }

    [Fact]
    public async Task Upload_ToAMergedTicket_IsRefusedAndTheFilesAreRemoved()
    {
        using var client = host.Client("staff:alice:Alice Agent");
        var source = await NewTicket(client);
        var target = await NewTicket(client);
        Assert.True((await client.PostAsJsonAsync($"/api/tickets/{source}/merge", new { target })).IsSuccessStatusCode);
        using var form = Form(("late.png", "image/png", Png));
        var response = await client.PostAsync($"/api/tickets/{source}/attachments", form);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Empty(Directory.Exists(host.AttachmentFolder(source)) ? Directory.GetFiles(host.AttachmentFolder(source)) : []);
    }
}
