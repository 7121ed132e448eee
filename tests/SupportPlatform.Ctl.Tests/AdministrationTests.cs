using System.Net.Http.Json;
using System.Text.Json;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Ctl.Tests;

/// <summary>One fresh host with no administrator, shared by the class; the first test to need a token creates the admin.</summary>
public sealed class FreshHost : IAsyncLifetime
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private string? token;

    public PlatformFactory Host { get; private set; } = null!;

    public TempDirectory Files { get; } = new("sp-ctl-files-");

    public Task InitializeAsync()
    {
        // No bootstrap admin: the host logs a setup token, which supportctl finds in the database.
        Host = new PlatformFactory(extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:Identity:BootstrapAdmin:Email"] = "",
            ["SupportPlatform:Identity:BootstrapAdmin:Password"] = "",
        });
        _ = Host.Server; // start it
        return Task.CompletedTask;
    }

    /// <summary>Creates the first admin with supportctl, signs in and returns an API token of theirs.</summary>
    public async Task<string> AdminTokenAsync()
    {
        await gate.WaitAsync();
        try
        {
            if (token is null)
            {
                var passwordFile = Path.Combine(Files.Path, "password");
                await File.WriteAllTextAsync(passwordFile, "first-admin-password-1\n");
                var output = await Ctl.OkAsync(Host, "admin", "create-first", "--data-path", Host.DataPath, "--email", "first@msp.example", "--name", "First Admin", "--password-file", passwordFile);
                Assert.Contains("first@msp.example", output, StringComparison.Ordinal);
                using var signedIn = await Host.Users.SignInAsync("first@msp.example", "first-admin-password-1");
                var tokenResponse = await signedIn.PostAsJsonAsync("/api/me/tokens", new { name = "supportctl" });
                var body = await tokenResponse.Content.ReadAsStringAsync();
                Assert.True(tokenResponse.IsSuccessStatusCode, body);
                token = JsonDocument.Parse(body).RootElement.GetProperty("token").GetString();
            }

            return token!;
        }
        finally
        {
            gate.Release();
        }
    }

    public Task DisposeAsync()
    {
        Host.Dispose();
        Files.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class AdministrationTests(FreshHost fresh) : IClassFixture<FreshHost>
{
    private PlatformFactory Host => fresh.Host;

    private async Task<string[]> With(params string[] args) => [.. args, "--data-path", Host.DataPath, "--token", await fresh.AdminTokenAsync()];

    private async Task<string> WriteAsync(string name, string text)
    {
        var path = Path.Combine(fresh.Files.Path, name);
        await File.WriteAllTextAsync(path, text);
        return path;
    }

    [Fact]
    public async Task AdminCreateFirst_SecondTime_SaysAnAdministratorExists()
    {
        await fresh.AdminTokenAsync();
        var passwordFile = await WriteAsync("again", "another-password-123");
        var (code, _, error) = await Ctl.RunAsync(Host, "admin", "create-first", "--data-path", Host.DataPath, "--email", "x@msp.example", "--name", "X", "--password-file", passwordFile);
        Assert.Equal(1, code);
        Assert.Contains("administrator exists already", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StaffAddAndSet_ThroughTheApi_AppliesItsRules()
    {
        Assert.Contains("Added agent carol", await Ctl.OkAsync(Host, await With("staff", "add", "--id", "carol", "--email", "carol@msp.example", "--name", "Carol", "--role", "agent")), StringComparison.Ordinal);
        var duplicate = await Ctl.RunAsync(Host, await With("staff", "add", "--email", "carol@msp.example", "--name", "Carol Again"));
        Assert.Equal(1, duplicate.Code);
        Assert.Contains("409", duplicate.Error, StringComparison.Ordinal);

        Assert.Contains("carol: senior, active", await Ctl.OkAsync(Host, await With("staff", "set", "carol", "--role", "senior")), StringComparison.Ordinal);
        var list = await Ctl.OkAsync(Host, await With("staff", "list"));
        Assert.Contains("carol", list, StringComparison.Ordinal);
        Assert.Contains("first@msp.example", list, StringComparison.Ordinal);

        var anonymous = await Ctl.RunAsync(Host, "staff", "list", "--data-path", Host.DataPath);
        Assert.Equal(1, anonymous.Code);
        Assert.Contains("--token", anonymous.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccountsAndContracts_SetKeepsTheContract()
    {
        await Ctl.OkAsync(Host, await With("accounts", "set", "globex", "--name", "Globex", "--time-zone", "America/New_York", "--email-domain", "globex.example"));
        var contract = await Ctl.OkAsync(Host, await With("contracts", "show", "globex"));
        var edited = JsonDocument.Parse(contract).RootElement.GetRawText().Replace("\"reopenWindow\":\"7.00:00:00\"", "\"reopenWindow\":\"2.00:00:00\"", StringComparison.Ordinal);
        var node = System.Text.Json.Nodes.JsonNode.Parse(contract)!;
        node["reopenWindow"] = "2.00:00:00";
        await Ctl.OkAsync(Host, await With("contracts", "set", "globex", await WriteAsync("contract.json", node.ToJsonString())));

        // Renaming keeps the contract just set.
        await Ctl.OkAsync(Host, await With("accounts", "set", "globex", "--name", "Globex Corp"));
        var account = JsonDocument.Parse(await Ctl.OkAsync(Host, await With("accounts", "show", "globex"))).RootElement;
        Assert.Equal("Globex Corp", account.GetProperty("name").GetString());
        Assert.Equal("2.00:00:00", account.GetProperty("contract").GetProperty("reopenWindow").GetString());
        Assert.NotEmpty(edited);

        var bad = await Ctl.RunAsync(Host, await With("accounts", "set", "initech", "--name", "Initech", "--time-zone", "Mars/Olympus"));
        Assert.Equal(1, bad.Code);
        Assert.Contains("Mars/Olympus", bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImportClientsAndContacts_BadLinesImportNothing_GoodFileImportsOnce()
    {
        var bad = await WriteAsync("bad-clients.csv", """
            id,name,timeZone,emailDomains
            umbrella,Umbrella,Europe/Berlin,umbrella.example
            Bad Id,No Zone,,
            umbrella,Duplicate,Europe/Paris,
            hooli,Hooli,Nowhere/Zone,not a domain
            """);
        var refused = await Ctl.RunAsync(Host, await With("import", "clients", bad));
        Assert.Equal(1, refused.Code);
        Assert.Contains("nothing was imported", refused.Error, StringComparison.Ordinal);
        Assert.Contains("line 3: id 'Bad Id'", refused.Error, StringComparison.Ordinal);
        Assert.Contains("timeZone is empty", refused.Error, StringComparison.Ordinal);
        Assert.Contains("line 4: id 'umbrella' is also on line 2", refused.Error, StringComparison.Ordinal);
        Assert.Contains("line 5: timeZone 'Nowhere/Zone'", refused.Error, StringComparison.Ordinal);
        Assert.Contains("email domain 'not a domain'", refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("umbrella", await Ctl.OkAsync(Host, await With("accounts", "list")), StringComparison.Ordinal);

        var good = await WriteAsync("clients.csv", """
            id,name,timeZone,emailDomains
            umbrella,Umbrella,Europe/Berlin,umbrella.example
            "stark","Stark, Industries",America/Los_Angeles,stark.example;stark-industries.example
            """);
        Assert.Contains("2 accounts created", await Ctl.OkAsync(Host, await With("import", "clients", good)), StringComparison.Ordinal);
        Assert.Contains("2 updated", await Ctl.OkAsync(Host, await With("import", "clients", good)), StringComparison.Ordinal);
        var stark = JsonDocument.Parse(await Ctl.OkAsync(Host, await With("accounts", "show", "stark"))).RootElement;
        Assert.Equal("Stark, Industries", stark.GetProperty("name").GetString());
        Assert.Equal(2, stark.GetProperty("emailDomains").GetArrayLength());

        var badContacts = await WriteAsync("bad-contacts.csv", """
            accountId,email,name,manager
            umbrella,alice@umbrella.example,Alice,yes
            nosuch,bob@x.example,Bob,
            stark,not-an-email,Tony,maybe
            """);
        var contactsRefused = await Ctl.RunAsync(Host, await With("import", "contacts", badContacts));
        Assert.Equal(1, contactsRefused.Code);
        Assert.Contains("line 3: account 'nosuch' does not exist", contactsRefused.Error, StringComparison.Ordinal);
        Assert.Contains("line 4: email 'not-an-email' is not an email address; manager 'maybe'", contactsRefused.Error, StringComparison.Ordinal);

        var contacts = await WriteAsync("contacts.csv", """
            accountId,email,name,manager
            umbrella,alice@umbrella.example,Alice,yes
            stark,pepper@stark.example,Pepper,no
            """);
        Assert.Contains("2 contacts created", await Ctl.OkAsync(Host, await With("import", "contacts", contacts)), StringComparison.Ordinal);
        Assert.Contains("0 contacts created, 2 already there", await Ctl.OkAsync(Host, await With("import", "contacts", contacts)), StringComparison.Ordinal);
        using var staff = Host.CreateClient(await fresh.AdminTokenAsync());
        var users = await staff.GetStringAsync("/api/accounts/umbrella/users");
        Assert.Contains("alice@umbrella.example", users, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_RunningHost_ShowsEveryCheckAndSchemaVersion()
    {
        var output = await Ctl.OkAsync(Host, await With("status"));
        Assert.Matches(@"database: Sqlite, schema version \d+", output);
        Assert.Contains("is Healthy", output, StringComparison.Ordinal);
        Assert.Contains("storage", output, StringComparison.Ordinal);
        Assert.Contains("version:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_UpToDateDatabase_SaysSo()
    {
        Assert.Contains("up to date", await Ctl.OkAsync(Host, "migrate", "--data-path", Host.DataPath), StringComparison.Ordinal);
    }
}
