using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Ctl;

/// <summary>
/// The commands. Two kinds: those that change what users see (first admin, accounts, contracts, staff, CSV import) go
/// through the running host's API with an API token, so one set of rules holds; those that work below the application
/// (status of the database, migrations, backup and restore, the plugins folder) work on the database and the data folder
/// from the same configuration the host reads, and work with the host stopped.
/// </summary>
internal static class CtlApp
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task<int> RunAsync(string[] args, CtlConsole console, CancellationToken ct = default)
    {
        var config = new Option<string?>("--config") { Description = "The host's appsettings.json (default: SUPPORTCTL_CONFIG, else /etc/supportplatform/appsettings.json).", Recursive = true };
        var dataPath = new Option<string?>("--data-path") { Description = "The data folder (default: SupportPlatform:DataPath).", Recursive = true };
        var connection = new Option<string?>("--connection-string") { Description = "A PostgreSQL connection string (default: SupportPlatform:Database:ConnectionString).", Recursive = true };
        var url = new Option<string?>("--url") { Description = "The running host (default: SUPPORTCTL_URL, else the first of Urls, else http://localhost:5080).", Recursive = true };
        var token = new Option<string?>("--token") { Description = "An API token (default: SUPPORTCTL_TOKEN).", Recursive = true };
        var tokenFile = new Option<string?>("--token-file") { Description = "A file holding the API token.", Recursive = true };

        var root = new RootCommand("supportctl: administer a SupportPlatform installation.") { config, dataPath, connection, url, token, tokenFile };

        CtlSettings Settings(ParseResult r) => CtlSettings.Load(new GlobalArguments(
            r.GetValue(config), r.GetValue(dataPath), r.GetValue(connection), r.GetValue(url), r.GetValue(token), r.GetValue(tokenFile)), console);

        PlatformApi Api(CtlSettings s) => new(console.CreateHttpClient(s.Url), s.Url, s.Token);

        void Action(Command command, Func<ParseResult, CancellationToken, Task<int>> action) =>
            command.SetAction(async (result, token) =>
            {
                try
                {
                    return await action(result, token);
                }
                catch (CtlException ex)
                {
                    await console.Error.WriteLineAsync($"supportctl: {ex.Message}");
                    return ex.ExitCode;
                }
                catch (Exception ex) when (ex is System.Data.Common.DbException or IOException or UnauthorizedAccessException)
                {
                    await console.Error.WriteLineAsync($"supportctl: {ex.Message}");
                    return 1;
                }
            });

        // status
        var status = new Command("status", "The host's readiness (every dependency), version and cluster, and the database's schema version.");
        Action(status, async (r, t) => await StatusAsync(Settings(r), Api(Settings(r)), console, t));
        root.Subcommands.Add(status);

        // migrate
        var migrate = new Command("migrate", "Applies the database migrations this version ships (the host also does it at start).");
        Action(migrate, async (r, t) =>
        {
            var settings = Settings(r);
            if (settings.Database.Provider == DatabaseProvider.Sqlite)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(settings.EmbeddedDatabaseFile)!);
            }

            await using var services = new ServiceCollection().AddSupportPlatformStorage(settings.Database).BuildServiceProvider();
            console.Progress($"migrate: {settings.Database.Provider} database...");
            MigrationResult result;
            try
            {
                result = await services.GetRequiredService<IDatabaseMigrator>().MigrateAsync(t);
            }
            catch (InvalidOperationException ex)
            {
                throw new CtlException(ex.Message);
            }

            await console.Out.WriteLineAsync(result.Applied.Count == 0
                ? $"The schema is up to date at version {result.ToVersion}."
                : $"Migrated the schema from version {result.FromVersion} to {result.ToVersion}: {string.Join(", ", result.Applied)}.");
            return 0;
        });
        root.Subcommands.Add(migrate);

        // backup / restore
        var backupFile = new Argument<string>("archive") { Description = "The backup file to write (.tar.gz)." };
        var backup = new Command("backup", "Backs up the database, attachments, templates and plugins into one archive while the host runs.") { backupFile };
        Action(backup, async (r, t) =>
        {
            var file = Path.GetFullPath(r.GetValue(backupFile)!);
            var manifest = await new Backup(Settings(r), console).CreateAsync(file, t);
            await console.Out.WriteLineAsync($"Backup written to {file}: {manifest.Provider} database at schema version {manifest.SchemaVersion}, {manifest.Files.Count - 1} files.");
            return 0;
        });
        root.Subcommands.Add(backup);

        var restoreFile = new Argument<string>("archive") { Description = "The backup file to restore." };
        var force = new Option<bool>("--force") { Description = "Replace a database and data folder that are not empty, and restore even while a host runs on them." };
        var restore = new Command("restore", "Restores a backup onto an empty database and data folder (stop the host first).") { restoreFile, force };
        Action(restore, async (r, t) =>
        {
            var manifest = await new Backup(Settings(r), console).RestoreAsync(Path.GetFullPath(r.GetValue(restoreFile)!), r.GetValue(force), t);
            await console.Out.WriteLineAsync($"Restored the backup of {manifest.CreatedAt:u}: {manifest.Provider} database at schema version {manifest.SchemaVersion}, {manifest.Files.Count - 1} files.");
            return 0;
        });
        root.Subcommands.Add(restore);

        root.Subcommands.Add(AdminCommand(Settings, Api, Action, console));
        root.Subcommands.Add(StaffCommand(Settings, Api, Action, console));
        root.Subcommands.Add(AccountsCommand(Settings, Api, Action, console));
        root.Subcommands.Add(ContractsCommand(Settings, Api, Action, console));
        root.Subcommands.Add(ImportCommand(Settings, Api, Action, console));
        root.Subcommands.Add(PluginsCommand(Settings, Action, console));

        var parse = root.Parse(args);
        return await parse.InvokeAsync(new InvocationConfiguration { Output = console.Out, Error = console.Error }, ct);
    }

    private static async Task<int> StatusAsync(CtlSettings settings, PlatformApi api, CtlConsole console, CancellationToken ct)
    {
        var exit = 0;
        try
        {
            var schema = await Backup.ReadSchemaVersionAsync(settings.Database, ct);
            await console.Out.WriteLineAsync($"database: {settings.Database.Provider}, schema version {schema}");
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or CtlException)
        {
            await console.Out.WriteLineAsync($"database: {settings.Database.Provider} cannot be read: {ex.Message}");
            exit = 1;
        }

        await console.Out.WriteLineAsync($"data folder: {settings.DataPath}");
        try
        {
            var (code, report) = await api.GetRawAsync("/health/ready", ct);
            var overall = report?["status"]?.GetValue<string>() ?? $"HTTP {(int)code}";
            await console.Out.WriteLineAsync($"host: {api.Url} is {overall}");
            foreach (var (name, check) in report?["checks"]?.AsObject() ?? [])
            {
                await console.Out.WriteLineAsync($"  {name,-20} {check?["status"]?.GetValue<string>(),-10} {check?["description"]?.GetValue<string>()}");
            }

            if (overall == "Unhealthy" || (int)code >= 500)
            {
                exit = 1;
            }

            if (settings.Token is not null)
            {
                var info = await api.GetAsync("/api/system/info", ct);
                await console.Out.WriteLineAsync($"version: {info?["version"]}");
                await console.Out.WriteLineAsync($"cluster: {info?["members"]?.ToJsonString()}");
            }
        }
        catch (CtlException ex)
        {
            await console.Out.WriteLineAsync($"host: {ex.Message}");
            exit = ex.ExitCode;
        }

        return exit;
    }

    private delegate CtlSettings SettingsOf(ParseResult result);

    private delegate PlatformApi ApiOf(CtlSettings settings);

    private delegate void ActionOf(Command command, Func<ParseResult, CancellationToken, Task<int>> action);

    private static Command AdminCommand(SettingsOf settingsOf, ApiOf apiOf, ActionOf action, CtlConsole console)
    {
        var email = new Option<string>("--email") { Required = true, Description = "The administrator's email (their sign-in)." };
        var name = new Option<string>("--name") { Required = true, Description = "The administrator's name." };
        var passwordFile = new Option<string?>("--password-file") { Description = "A file holding the password (else SUPPORTCTL_PASSWORD)." };
        var setupToken = new Option<string?>("--setup-token") { Description = "The setup token from the host's log (default: read from the database)." };
        var create = new Command("create-first", "Creates the first administrator of a fresh installation (the host must be running).") { email, name, passwordFile, setupToken };
        action(create, async (r, t) =>
        {
            var settings = settingsOf(r);
            var password = ReadSecret(r.GetValue(passwordFile), "SUPPORTCTL_PASSWORD", "--password-file", console);
            var tokenValue = r.GetValue(setupToken) ?? await ReadSetupTokenAsync(settings, t);
            var api = new PlatformApi(console.CreateHttpClient(settings.Url), settings.Url, null);
            var user = await api.SendAsync(HttpMethod.Post, "/api/setup",
                new JsonObject { ["token"] = tokenValue, ["email"] = r.GetValue(email), ["name"] = r.GetValue(name), ["password"] = password }, t);
            await console.Out.WriteLineAsync($"Created the administrator {user?["email"] ?? r.GetValue(email)}; sign in at {settings.Url}signin.");
            return 0;
        });
        return new Command("admin", "The first administrator.") { create };
    }

    private static async Task<string> ReadSetupTokenAsync(CtlSettings settings, CancellationToken ct)
    {
        await using var connection = Backup.Open(settings.Database);
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM sp_identity_secrets WHERE name = 'setup-token'";
        try
        {
            return await command.ExecuteScalarAsync(ct) as string ?? throw new CtlException(
                "There is no setup token in the database: an administrator exists already (use 'supportctl staff add' with an admin's token), " +
                "or the host has not started on this database yet.");
        }
        catch (System.Data.Common.DbException ex)
        {
            throw new CtlException($"The setup token could not be read from the database ({ex.Message}); start the host once first, or pass --setup-token from its log.");
        }
    }

    private static string ReadSecret(string? file, string variable, string option, CtlConsole console)
    {
        var value = file is not null
            ? File.Exists(file) ? File.ReadAllText(file).TrimEnd('\r', '\n') : throw new CtlException($"The file '{file}' ({option}) does not exist.")
            : console.Environment(variable);
        return value ?? throw new CtlException($"Give the password in a file ({option}) or in {variable}; it is never taken on the command line, where other users could read it.");
    }

    private static Command StaffCommand(SettingsOf settingsOf, ApiOf apiOf, ActionOf action, CtlConsole console)
    {
        var list = new Command("list", "Every staff user.");
        action(list, async (r, t) =>
        {
            var users = await apiOf(settingsOf(r)).GetAsync("/api/staff", t);
            foreach (var user in Items(users))
            {
                await console.Out.WriteLineAsync($"{user?["id"],-16} {user?["role"],-8} {(user?["active"]?.GetValue<bool>() == false ? "inactive" : "active"),-9} {user?["email"]} ({user?["name"]})");
            }

            return 0;
        });

        var id = new Option<string?>("--id") { Description = "Lowercase id (the actor id in histories); generated when left out." };
        var email = new Option<string>("--email") { Required = true };
        var name = new Option<string>("--name") { Required = true };
        var role = new Option<string>("--role") { Description = "admin, senior or agent.", DefaultValueFactory = _ => "agent" };
        role.AcceptOnlyFromAmong("admin", "senior", "agent");
        var passwordFile = new Option<string?>("--password-file") { Description = "A file holding the first password (else SUPPORTCTL_PASSWORD; none: sign-in by OpenID Connect or a later reset)." };
        var add = new Command("add", "Adds a staff user.") { id, email, name, role, passwordFile };
        action(add, async (r, t) =>
        {
            var body = new JsonObject { ["email"] = r.GetValue(email), ["name"] = r.GetValue(name), ["role"] = r.GetValue(role) };
            if (r.GetValue(id) is { } userId)
            {
                body["id"] = userId;
            }

            var file = r.GetValue(passwordFile);
            if (file is not null || console.Environment("SUPPORTCTL_PASSWORD") is not null)
            {
                body["password"] = ReadSecret(file, "SUPPORTCTL_PASSWORD", "--password-file", console);
            }

            var user = await apiOf(settingsOf(r)).SendAsync(HttpMethod.Post, "/api/staff", body, t);
            await console.Out.WriteLineAsync($"Added {user?["role"]} {user?["id"]} <{user?["email"]}>.");
            return 0;
        });

        var target = new Argument<string>("id");
        var newRole = new Option<string?>("--role") { Description = "admin, senior or agent." };
        newRole.AcceptOnlyFromAmong("admin", "senior", "agent");
        var newName = new Option<string?>("--name");
        var active = new Option<bool?>("--active") { Description = "false deactivates the user (signs them out, stops their tokens)." };
        var set = new Command("set", "Changes a staff user's name, role or active flag.") { target, newRole, newName, active };
        action(set, async (r, t) =>
        {
            var body = new JsonObject();
            if (r.GetValue(newRole) is { } roleValue)
            {
                body["role"] = roleValue;
            }

            if (r.GetValue(newName) is { } nameValue)
            {
                body["name"] = nameValue;
            }

            if (r.GetValue(active) is { } activeValue)
            {
                body["active"] = activeValue;
            }

            var user = await apiOf(settingsOf(r)).SendAsync(HttpMethod.Patch, $"/api/staff/{Uri.EscapeDataString(r.GetValue(target)!)}", body, t);
            await console.Out.WriteLineAsync($"{user?["id"]}: {user?["role"]}, {(user?["active"]?.GetValue<bool>() == false ? "inactive" : "active")}.");
            return 0;
        });

        return new Command("staff", "Staff users (admin token).") { list, add, set };
    }

    private static Command AccountsCommand(SettingsOf settingsOf, ApiOf apiOf, ActionOf action, CtlConsole console)
    {
        var list = new Command("list", "Every client account.");
        action(list, async (r, t) =>
        {
            foreach (var account in Items(await apiOf(settingsOf(r)).GetAsync("/api/accounts", t)))
            {
                await console.Out.WriteLineAsync($"{account?["id"],-20} {account?["timeZone"],-20} {account?["name"]}");
            }

            return 0;
        });

        var showId = new Argument<string>("id");
        var show = new Command("show", "One account with its contract, as JSON.") { showId };
        action(show, async (r, t) =>
        {
            var account = await apiOf(settingsOf(r)).GetAsync($"/api/accounts/{Uri.EscapeDataString(r.GetValue(showId)!)}", t);
            await console.Out.WriteLineAsync(account?.ToJsonString(Indented));
            return 0;
        });

        var id = new Argument<string>("id") { Description = "Lowercase letters, digits and '-', e.g. acme-corp." };
        var name = new Option<string?>("--name");
        var timeZone = new Option<string?>("--time-zone") { Description = "IANA zone, e.g. Europe/London." };
        var domains = new Option<string[]>("--email-domain") { Description = "Mail domain of the client (repeat for several).", AllowMultipleArgumentsPerToken = true };
        var set = new Command("set", "Creates an account or changes its name, time zone or mail domains (its contract is kept).") { id, name, timeZone, domains };
        action(set, async (r, t) =>
        {
            var api = apiOf(settingsOf(r));
            var accountId = r.GetValue(id)!;
            var existing = await api.FindAsync($"/api/accounts/{Uri.EscapeDataString(accountId)}", t);
            var body = new JsonObject
            {
                ["name"] = r.GetValue(name) ?? existing?["name"]?.GetValue<string>() ?? throw new CtlException("A new account needs --name."),
                ["timeZone"] = r.GetValue(timeZone) ?? existing?["timeZone"]?.GetValue<string>() ?? throw new CtlException("A new account needs --time-zone (e.g. Europe/London)."),
            };
            if (existing?["contract"] is { } contract)
            {
                body["contract"] = contract.DeepClone();
            }

            if (r.GetValue(domains) is { Length: > 0 } list)
            {
                body["emailDomains"] = new JsonArray([.. list.Select(d => (JsonNode)d)]);
            }

            var account = await api.SendAsync(HttpMethod.Put, $"/api/accounts/{Uri.EscapeDataString(accountId)}", body, t);
            await console.Out.WriteLineAsync($"{(existing is null ? "Created" : "Updated")} account {account?["id"]} ({account?["name"]}, {account?["timeZone"]}).");
            return 0;
        });

        return new Command("accounts", "Client accounts (staff token; senior to change).") { list, show, set };
    }

    private static Command ContractsCommand(SettingsOf settingsOf, ApiOf apiOf, ActionOf action, CtlConsole console)
    {
        var showId = new Argument<string>("accountId");
        var show = new Command("show", "An account's contract terms as JSON (edit and give to 'contracts set').") { showId };
        action(show, async (r, t) =>
        {
            var account = await apiOf(settingsOf(r)).GetAsync($"/api/accounts/{Uri.EscapeDataString(r.GetValue(showId)!)}", t);
            await console.Out.WriteLineAsync(account?["contract"]?.ToJsonString(Indented));
            return 0;
        });

        var setId = new Argument<string>("accountId");
        var file = new Argument<string>("contract.json") { Description = "The contract terms (the 'contract' member of PUT /api/accounts/{id})." };
        var set = new Command("set", "Replaces an account's contract terms from a JSON file.") { setId, file };
        action(set, async (r, t) =>
        {
            var api = apiOf(settingsOf(r));
            var accountId = r.GetValue(setId)!;
            var path = r.GetValue(file)!;
            JsonNode? contract;
            try
            {
                contract = File.Exists(path) ? JsonNode.Parse(await File.ReadAllTextAsync(path, t)) : throw new CtlException($"The file '{path}' does not exist.");
            }
            catch (JsonException ex)
            {
                throw new CtlException($"{path} is not valid JSON: {ex.Message}");
            }

            var existing = await api.FindAsync($"/api/accounts/{Uri.EscapeDataString(accountId)}", t)
                ?? throw new CtlException($"Account '{accountId}' does not exist; create it with 'supportctl accounts set'.");
            var body = new JsonObject
            {
                ["name"] = existing["name"]!.DeepClone(),
                ["timeZone"] = existing["timeZone"]!.DeepClone(),
                ["contract"] = contract,
            };
            await api.SendAsync(HttpMethod.Put, $"/api/accounts/{Uri.EscapeDataString(accountId)}", body, t);
            await console.Out.WriteLineAsync($"Contract of {accountId} replaced.");
            return 0;
        });

        return new Command("contracts", "Contract terms of client accounts (senior token).") { show, set };
    }

    private static Command ImportCommand(SettingsOf settingsOf, ApiOf apiOf, ActionOf action, CtlConsole console)
    {
        var clientsFile = new Argument<string>("file.csv") { Description = $"Columns: {CsvImport.ClientsHeader} (domains separated by ';')." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Check every line; import nothing." };
        var clients = new Command("clients", "Imports client accounts from CSV: every line is checked before anything is written.") { clientsFile, dryRun };
        action(clients, (r, t) => new CsvImport(apiOf(settingsOf(r)), console).ImportClientsAsync(r.GetValue(clientsFile)!, r.GetValue(dryRun), t));

        var contactsFile = new Argument<string>("file.csv") { Description = $"Columns: {CsvImport.ContactsHeader} (manager and id optional)." };
        var invite = new Option<bool>("--invite") { Description = "Mail each new contact a sign-in invitation." };
        var contactsDryRun = new Option<bool>("--dry-run") { Description = "Check every line; import nothing." };
        var contacts = new Command("contacts", "Imports client contacts (portal users) from CSV: every line is checked before anything is written.") { contactsFile, invite, contactsDryRun };
        action(contacts, (r, t) => new CsvImport(apiOf(settingsOf(r)), console).ImportContactsAsync(r.GetValue(contactsFile)!, r.GetValue(invite), r.GetValue(contactsDryRun), t));

        return new Command("import", "Imports clients and contacts from CSV (senior token).") { clients, contacts };
    }

    private static Command PluginsCommand(SettingsOf settingsOf, ActionOf action, CtlConsole console)
    {
        var list = new Command("list", "The plugins folder, each plugin checked as the host checks it.");
        action(list, async (r, t) =>
        {
            var settings = settingsOf(r);
            var plugins = new Plugins(settings, console).List();
            if (plugins.Count == 0)
            {
                await console.Out.WriteLineAsync($"No plugins in {settings.PluginsPath}.");
            }

            foreach (var (folder, report) in plugins)
            {
                var manifest = report.Manifest;
                await console.Out.WriteLineAsync(report.Problem is null
                    ? $"{manifest!.Id,-24} {manifest.Version,-10} sdk {manifest.SdkVersion,-6} [{string.Join(", ", manifest.Capabilities)}]"
                    : $"{manifest?.Id ?? Path.GetFileName(folder),-24} {report.Status}: {report.Problem}");
            }

            return 0;
        });

        var source = new Argument<string>("source") { Description = "A plugin folder (the output of dotnet publish) or a .zip of it." };
        var replace = new Option<bool>("--replace") { Description = "Replace an installed plugin with the same id (upgrade)." };
        var install = new Command("install", "Checks a plugin as the host does and installs it into the plugins folder; restart the host to load it.") { source, replace };
        action(install, async (r, t) =>
        {
            var manifest = new Plugins(settingsOf(r), console).Install(r.GetValue(source)!, r.GetValue(replace));
            await console.Out.WriteLineAsync($"Installed plugin '{manifest.Id}' {manifest.Version}; restart the host (systemctl restart supportplatform) to load it.");
            return 0;
        });

        var id = new Argument<string>("id");
        var remove = new Command("remove", "Removes a plugin from the plugins folder (its data folder is kept); restart the host.") { id };
        action(remove, async (r, t) =>
        {
            var folder = new Plugins(settingsOf(r), console).Remove(r.GetValue(id)!);
            await console.Out.WriteLineAsync($"Removed {folder}; restart the host (systemctl restart supportplatform).");
            return 0;
        });

        return new Command("plugins", "Plugins in the plugins folder (works with the host stopped).") { list, install, remove };
    }

    private static IEnumerable<JsonNode?> Items(JsonNode? node) => node as JsonArray ?? node?["items"] as JsonArray ?? [];
}
