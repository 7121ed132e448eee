using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Web.Tests;

/// <summary>
/// One real host process (SQLite in a temporary folder, listening on a free loopback port) and one headless Debian
/// Chromium for all browser tests. Tests create their own accounts and tickets with unique names, so they do not
/// interfere. Users are created through the identity API and sign in through <see cref="TestSignIn"/> (the /signin page
/// for browsers, the cookie and antiforgery header for API clients).
/// </summary>
public sealed class WebFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>The Nagios plugin's token (<c>/hooks/nagios</c>).</summary>
    public const string NagiosToken = "web-tests-nagios-token-0123456789";

    private readonly TempDirectory data = new("sp-web-");
    private HostProcess? host;
    private IPlaywright? playwright;

    public IBrowser Browser { get; private set; } = null!;

    public Uri BaseAddress => host!.BaseAddress;

    public TestSignIn SignIn { get; private set; } = null!;

    /// <summary>axe-core, from npm, copied beside the tests by the build.</summary>
    public static string AxeScript { get; } = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "axe.min.js"));

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: install Debian's chromium package (scripts/test does it).");
        }

        // The Nagios plugin, installed as an operator would, so tests can post alerts through a real source webhook.
        var environment = HostProcess.Environment(data.Path);
        var pluginSource = Path.Combine(AppContext.BaseDirectory, "nagios-plugin");
        foreach (var file in Directory.EnumerateFiles(pluginSource, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(data.Path, "plugins", "nagios", Path.GetRelativePath(pluginSource, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        environment["Plugins__nagios__token"] = NagiosToken;
        host = HostProcess.Start(environment);
        await host.WaitReadyAsync(TimeSpan.FromSeconds(60));
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        SignIn = await TestSignIn.DetectAsync(BaseAddress);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        playwright?.Dispose();
        if (host is not null)
        {
            await host.DisposeAsync();
        }

        data.Dispose();
    }

    public string HostOutput => host?.Output ?? "";

    /// <summary>A fresh browser context (own cookies and storage) signed in as <paramref name="user"/>.</summary>
    public async Task<BrowserSession> OpenAsync(TestUser user, int width = 1280, int height = 900, bool bypassCsp = false)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            // axe is injected as an inline script, which the pages' Content-Security-Policy would (rightly) refuse.
            BypassCSP = bypassCsp,
        });
        context.SetDefaultTimeout(10_000);
        await SignIn.SignInAsync(context, user);
        var page = await context.NewPageAsync();
        var session = new BrowserSession(context, page, []);
        page.PageError += (_, error) => session.Errors.Add(error);
        return session;
    }

    /// <summary>An HTTP client acting as <paramref name="user"/> on the REST API.</summary>
    public Task<HttpClient> ApiAsync(TestUser user) => SignIn.ApiClientAsync(user);

    /// <summary>Creates (or updates) a client account on the reference contract.</summary>
    public async Task EnsureAccountAsync(string id, string name)
    {
        using var admin = await ApiAsync(TestUser.Admin);
        var response = await admin.PutAsJsonAsync($"/api/accounts/{id}", new { name, timeZone = "Europe/London" });
        await Ok(response);
    }

    public static async Task<JsonElement> Ok(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {response.RequestMessage?.RequestUri}: {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<long> CreateTicketAsync(HttpClient api, string accountId, string requesterId, string subject, string description = "Details.", string priority = "normal")
    {
        var ticket = await Ok(await api.PostAsJsonAsync("/api/tickets", new { accountId, requesterId, subject, description, priority }));
        return ticket.GetProperty("id").GetInt64();
    }

    public static async Task CommentAsync(HttpClient api, long ticket, string body, string visibility = "public") =>
        await Ok(await api.PostAsJsonAsync($"/api/tickets/{ticket}/comments", new { body, visibility }));

    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    internal static bool IsSuccess(HttpStatusCode status) => (int)status is >= 200 and < 300;
}

/// <summary>A signed-in browser context and its page; <see cref="Errors"/> collects the page's uncaught script errors.</summary>
public sealed record BrowserSession(IBrowserContext Context, IPage Page, List<string> Errors) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => new(Context.CloseAsync());
}

[CollectionDefinition(Name)]
public sealed class WebCollection : ICollectionFixture<WebFixture>
{
    public const string Name = "web";
}
