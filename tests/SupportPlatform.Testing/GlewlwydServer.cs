using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace SupportPlatform.Testing;

/// <summary>
/// A real OpenID Connect provider of its own for a test: Debian's <c>glewlwyd</c> (2.7) started on a free loopback port
/// with its own configuration file and its own SQLite database in a temp folder, initialised from the schema the package
/// ships. It is configured through its admin REST API (signed in as the schema's <c>admin</c> user): an OpenID Connect
/// plugin instance signing with an RSA key the test makes, clients, scopes and users.
/// </summary>
/// <remarks>
/// <para>Needs the Debian package <c>glewlwyd</c> (<c>scripts/test</c> installs it, answering its debconf question with
/// "No configuration" so the package sets nothing up; the system service is not used).</para>
/// <para>The package's login page (the webapp under /usr/share/glewlwyd) is not served: its config.json is a symlink to a
/// folder in the Debian package, so the page cannot load. A test signs users in the way that page does, through the
/// login API (<see cref="SignInAsync"/>, <see cref="GrantAsync"/>), then continues the authorization request.</para>
/// </remarks>
public sealed class GlewlwydServer : IAsyncDisposable
{
    /// <summary>The administrator the packaged schema creates (password "password"), used for the admin API.</summary>
    public const string AdminUser = "admin";

    private const string AdminPassword = "password";
    private const string EmailVerifiedProperty = "email-verified";
    private const string Binary = "/usr/bin/glewlwyd";
    private const string NotFoundMessage =
        "glewlwyd not found at /usr/bin/glewlwyd: run scripts/test, which installs the Debian package glewlwyd";

    // The schema the package installs for dbconfig (outside /usr/share/doc, which minimal images leave out); the copy
    // under /usr/share/doc is the same schema with DROP statements first.
    private static readonly string[] SchemaFiles =
    [
        "/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3",
        "/usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz",
    ];

    private readonly Process process;
    private readonly StringBuilder log;
    private readonly HttpClient admin;
    private bool disposed;

    private GlewlwydServer(string folder, int port, Process process, StringBuilder log)
    {
        Folder = folder;
        Port = port;
        this.process = process;
        this.log = log;
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        admin = Browser();
    }

    /// <summary>The folder holding configuration and database.</summary>
    public string Folder { get; }

    public int Port { get; }

    /// <summary>Where glewlwyd answers (its external URL); the REST API is under <c>api/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The issuer of the OpenID Connect plugin instance <see cref="AddOidcPluginAsync"/> creates.</summary>
    public string Issuer(string plugin = "oidc") => $"{BaseAddress}api/{plugin}";

    /// <summary>glewlwyd's log so far (for failure messages).</summary>
    public string ReadLog()
    {
        lock (log)
        {
            return log.ToString();
        }
    }

    /// <summary>An HTTP client as a browser: its own cookies, redirects not followed (the test follows them).</summary>
    public static HttpClient Browser() =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), UseCookies = true, AllowAutoRedirect = false })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };

    /// <summary>Starts a server, waits until it answers and signs the admin client in.</summary>
    public static async Task<GlewlwydServer> StartAsync()
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException(NotFoundMessage);
        }

        var parent = Path.GetTempPath();
        CleanUpOrphans(parent);
        var folder = Path.Combine(parent, "sp-glewlwyd-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "owner.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var database = Path.Combine(folder, "glewlwyd.db");
        await CreateDatabaseAsync(database).ConfigureAwait(false);
        var port = LocalSystem.FreeLoopbackPort();
        var configPath = Path.Combine(folder, "glewlwyd.conf");
        File.WriteAllText(configPath, Config(port, database));

        var start = new ProcessStartInfo(Binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        start.ArgumentList.Add("--config-file=" + configPath);
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start glewlwyd.");
        File.WriteAllText(Path.Combine(folder, "glewlwyd.pid"), process.Id.ToString(CultureInfo.InvariantCulture));
        var log = new StringBuilder();
        void Append(string? line)
        {
            if (line is not null)
            {
                lock (log)
                {
                    log.AppendLine(line);
                }
            }
        }

        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new GlewlwydServer(folder, port, process, log);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Kill();
        try
        {
            await server.WaitUntilReadyAsync().ConfigureAwait(false);
            await server.SignInAsync(server.admin, AdminUser, AdminPassword).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Adds an OpenID Connect plugin instance (issuer <see cref="Issuer"/>) that signs id tokens with <paramref name="key"/>
    /// (RS256), offers the authorization code flow with PKCE (S256), and always puts the user's name and email into the id
    /// token.
    /// </summary>
    public async Task AddOidcPluginAsync(RSA key, string name = "oidc")
    {
        var parameters = new Dictionary<string, object>
        {
            ["iss"] = Issuer(name),
            ["jwt-type"] = "rsa",
            ["jwt-key-size"] = "256",
            ["key"] = key.ExportPkcs8PrivateKeyPem(),
            ["cert"] = key.ExportSubjectPublicKeyInfoPem(),
            ["access-token-duration"] = 3600,
            ["refresh-token-duration"] = 1209600,
            ["code-duration"] = 600,
            ["refresh-token-rolling"] = false,
            ["allow-non-oidc"] = false,
            ["auth-type-code-enabled"] = true,
            ["auth-type-code-revoke-replayed"] = true,
            ["auth-type-token-enabled"] = false,
            ["auth-type-id-token-enabled"] = true,
            ["auth-type-none-enabled"] = false,
            ["auth-type-password-enabled"] = false,
            ["auth-type-client-enabled"] = false,
            ["auth-type-device-enabled"] = false,
            ["auth-type-refresh-enabled"] = true,
            ["subject-type"] = "public",
            ["jwks-show"] = true,
            ["pkce-allowed"] = true,
            ["pkce-method-plain-allowed"] = false,
            ["name-claim"] = "mandatory",
            ["email-claim"] = "mandatory",
            ["scope-claim"] = "no",
            // email_verified (a boolean) from the user property "email-verified" ("yes"/"no"), when a user has it
            // (see EnableEmailVerifiedAsync); users without it get no such claim.
            ["claims"] = new object[]
            {
                new Dictionary<string, object>
                {
                    ["name"] = "email_verified",
                    ["user-property"] = EmailVerifiedProperty,
                    ["type"] = "boolean",
                    ["boolean-value-true"] = "yes",
                    ["boolean-value-false"] = "no",
                    ["mandatory"] = true,
                },
            },
        };
        await AdminAsync(HttpMethod.Post, "api/mod/plugin/", new { module = "oidc", name, display_name = "OpenID Connect", parameters }).ConfigureAwait(false);
    }

    /// <summary>Adds a scope users can be given and grant to clients (e.g. <c>email</c>, <c>profile</c>).</summary>
    public Task AddScopeAsync(string name) =>
        AdminAsync(HttpMethod.Post, "api/scope/", new { name, display_name = name, description = "Scope " + name, password_required = false, scheme = new { } });

    /// <summary>
    /// Lets users of the database back-end carry the property "email-verified" (the packaged schema's back-end keeps only
    /// a few extra properties): its data format is extended and the back-end reloaded. Call before adding such users.
    /// </summary>
    public async Task EnableEmailVerifiedAsync()
    {
        var format = new Dictionary<string, object>
        {
            ["picture"] = new Dictionary<string, bool> { ["multiple"] = false, ["read"] = true, ["write"] = true, ["profile-read"] = true, ["profile-write"] = true },
            [EmailVerifiedProperty] = new Dictionary<string, bool> { ["multiple"] = false, ["read"] = true, ["write"] = true, ["profile-read"] = false, ["profile-write"] = false },
        };
        await AdminAsync(HttpMethod.Put, "api/mod/user/database", new Dictionary<string, object>
        {
            ["module"] = "database",
            ["name"] = "database",
            ["display_name"] = "Database backend",
            ["order_rank"] = 0,
            ["parameters"] = new Dictionary<string, object> { ["use-glewlwyd-connection"] = true, ["data-format"] = format },
            ["enabled"] = true,
            ["readonly"] = false,
        }).ConfigureAwait(false);
        await AdminAsync(HttpMethod.Put, "api/mod/user/database/reset", new { }).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds a user of the database back-end with a password, an email (none when null), <paramref name="scopes"/> and,
    /// when <paramref name="emailVerified"/> is given, the "email-verified" property (see <see cref="EnableEmailVerifiedAsync"/>).
    /// </summary>
    public Task AddUserAsync(string username, string password, string? email, string name, IEnumerable<string> scopes, bool? emailVerified = null)
    {
        var user = new Dictionary<string, object> { ["username"] = username, ["password"] = password, ["name"] = name, ["enabled"] = true, ["scope"] = scopes.ToArray() };
        if (email is not null)
        {
            user["email"] = email;
        }

        if (emailVerified is { } verified)
        {
            user[EmailVerifiedProperty] = verified ? "yes" : "no";
        }

        return AdminAsync(HttpMethod.Post, "api/user/", user);
    }

    /// <summary>Adds a confidential client (client_secret_basic or client_secret_post) allowed the code flow to <paramref name="redirectUri"/>.</summary>
    public Task AddConfidentialClientAsync(string clientId, string secret, Uri redirectUri) =>
        AdminAsync(HttpMethod.Post, "api/client/", new
        {
            client_id = clientId,
            name = clientId,
            description = "Added by the SupportPlatform tests",
            enabled = true,
            confidential = true,
            client_secret = secret,
            redirect_uri = new[] { redirectUri.ToString() },
            authorization_type = new[] { "code", "refresh_token" },
            token_endpoint_auth_method = new[] { "client_secret_basic", "client_secret_post" },
            scope = Array.Empty<string>(),
        });

    /// <summary>Signs <paramref name="username"/> in on <paramref name="browser"/> through the login API (sets the session cookie).</summary>
    public async Task SignInAsync(HttpClient browser, string username, string password)
    {
        using var response = await browser.PostAsJsonAsync(new Uri(BaseAddress, "api/auth/"), new { username, password }).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"glewlwyd refused the sign-in of '{username}': {(int)response.StatusCode} {await response.Content.ReadAsStringAsync().ConfigureAwait(false)}\n{ReadLog()}");
        }
    }

    /// <summary>The signed-in user of <paramref name="browser"/> grants <paramref name="scopes"/> to the client (the consent step).</summary>
    public async Task GrantAsync(HttpClient browser, string clientId, IEnumerable<string> scopes)
    {
        using var response = await browser.PutAsJsonAsync(new Uri(BaseAddress, $"api/auth/grant/{Uri.EscapeDataString(clientId)}"), new { scope = string.Join(' ', scopes) })
            .ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"glewlwyd refused the grant to '{clientId}': {(int)response.StatusCode} {await response.Content.ReadAsStringAsync().ConfigureAwait(false)}");
        }
    }

    private async Task AdminAsync(HttpMethod method, string path, object body)
    {
        using var request = new HttpRequestMessage(method, new Uri(BaseAddress, path)) { Content = JsonContent.Create(body) };
        using var response = await admin.SendAsync(request).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException(
                $"glewlwyd admin API {method} /{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync().ConfigureAwait(false)}\n{ReadLog()}");
        }
    }

    private static async Task CreateDatabaseAsync(string path)
    {
        var schemaFile = SchemaFiles.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("The glewlwyd package's SQLite schema is missing (" + string.Join(", ", SchemaFiles) + "): reinstall the Debian package glewlwyd.");
        string schema;
        await using (var file = File.OpenRead(schemaFile))
        await using (var stream = schemaFile.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file)
        using (var reader = new StreamReader(stream, Encoding.UTF8))
        {
            schema = await reader.ReadToEndAsync().ConfigureAwait(false);
        }

        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await connection.OpenAsync().ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = schema;
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    // glewlwyd's configuration file (libconfig syntax): loopback only, plain HTTP, the SQLite database above, the
    // packaged modules. Settings left out keep glewlwyd's defaults.
    private static string Config(int port, string database) => string.Create(CultureInfo.InvariantCulture, $$"""
        # Written by the SupportPlatform tests (GlewlwydServer): a throwaway OpenID Connect provider on loopback.
        port = {{port}}
        bind_address = "127.0.0.1"
        external_url = "http://127.0.0.1:{{port}}"
        login_url = "login.html"
        api_prefix = "api"
        allow_origin = "*"
        log_mode = "console"
        log_level = "INFO"
        cookie_secure = 0
        session_expiration = 3600
        session_key = "GLEWLWYD2_SESSION_ID"
        admin_session_authentication = "cookie"
        profile_session_authentication = "cookie"
        allow_multiple_user_per_session = false
        login_api_enabled = true
        admin_scope = "g_admin"
        profile_scope = "g_profile"
        user_module_path = "/usr/lib/glewlwyd/user"
        client_module_path = "/usr/lib/glewlwyd/client"
        user_auth_scheme_module_path = "/usr/lib/glewlwyd/scheme"
        plugin_module_path = "/usr/lib/glewlwyd/plugin"
        hash_algorithm = "SHA512"
        database =
        {
          type = "sqlite3"
          path = "{{database}}"
        };

        """);

    private async Task WaitUntilReadyAsync()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (process.HasExited)
            {
                process.WaitForExit();
                throw new InvalidOperationException($"glewlwyd exited with code {process.ExitCode}:\n{ReadLog()}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri(BaseAddress, "config")).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"glewlwyd did not answer on {BaseAddress} within 20 s:\n{ReadLog()}");
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    private void Kill()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        admin.Dispose();
        // glewlwyd keeps nothing worth a graceful stop: its state is the throwaway database.
        Kill();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        process.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Stops servers left behind by test processes that were killed (their owner pid is gone).</summary>
    private static void CleanUpOrphans(string parent)
    {
        foreach (var folder in Directory.GetDirectories(parent, "sp-glewlwyd-*"))
        {
            try
            {
                var ownerFile = Path.Combine(folder, "owner.pid");
                if (!File.Exists(ownerFile) || !int.TryParse(File.ReadAllText(ownerFile), out var owner) || LocalSystem.IsAlive(owner))
                {
                    continue;
                }

                var pidFile = Path.Combine(folder, "glewlwyd.pid");
                if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) && pid > 0
                    && File.Exists($"/proc/{pid}/cmdline") && File.ReadAllText($"/proc/{pid}/cmdline").Contains(folder, StringComparison.Ordinal))
                {
                    using var orphan = Process.GetProcessById(pid);
                    orphan.Kill();
                }

                Directory.Delete(folder, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
            }
        }
    }
}
