using System.Globalization;
using System.Net.Mail;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CsvHelper;
using CsvHelper.Configuration;

namespace SupportPlatform.Ctl;

/// <summary>
/// Imports client accounts and their contacts (client users) from CSV through the API. Every line is checked first and
/// any error stops the import before anything is written, with one message per bad line. Lines already imported (an
/// account with the same id, a contact with the same email in that account) are skipped, so a run that stopped on a
/// server error is completed by running it again.
/// </summary>
internal sealed partial class CsvImport(PlatformApi api, CtlConsole console)
{
    public const string ClientsHeader = "id,name,timeZone,emailDomains";
    public const string ContactsHeader = "accountId,email,name,manager,id";

    public async Task<int> ImportClientsAsync(string path, bool dryRun, CancellationToken ct)
    {
        var rows = Read(path, ["id", "name", "timeZone"]);
        var errors = new List<string>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var accounts = new List<(int Line, string Id, string Name, string TimeZone, string[] Domains)>();
        foreach (var (line, get) in rows)
        {
            var problems = new List<string>();
            var id = get("id");
            var name = get("name");
            var timeZone = get("timeZone");
            var domains = (get("emailDomains") ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (id is null)
            {
                problems.Add("id is empty");
            }
            else if (!AccountIdPattern().IsMatch(id))
            {
                problems.Add($"id '{id}' may only use lowercase letters, digits and '-' (at most 64), e.g. acme-corp");
            }
            else if (seen.TryGetValue(id, out var first))
            {
                problems.Add($"id '{id}' is also on line {first}");
            }
            else
            {
                seen[id] = line;
            }

            if (name is null)
            {
                problems.Add("name is empty");
            }

            if (timeZone is null)
            {
                problems.Add("timeZone is empty (an IANA zone such as Europe/London)");
            }
            else if (!TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out _))
            {
                problems.Add($"timeZone '{timeZone}' is not an IANA time zone (e.g. Europe/London)");
            }

            foreach (var domain in domains.Where(d => Uri.CheckHostName(d) != UriHostNameType.Dns || !d.Contains('.', StringComparison.Ordinal)))
            {
                problems.Add($"email domain '{domain}' is not a domain name");
            }

            if (problems.Count > 0)
            {
                errors.Add($"line {line}: {string.Join("; ", problems)}");
            }
            else
            {
                accounts.Add((line, id!, name!, timeZone!, domains));
            }
        }

        Stop(path, errors);
        if (dryRun)
        {
            await console.Out.WriteLineAsync($"{path}: {accounts.Count} accounts are valid (dry run: nothing imported).");
            return 0;
        }

        int created = 0, updated = 0;
        foreach (var (line, id, name, timeZone, domains) in accounts)
        {
            var existing = await api.FindAsync($"/api/accounts/{Uri.EscapeDataString(id)}", ct);
            // PUT replaces the whole definition: keep the contract (and domains unless given) an existing account has.
            var body = new JsonObject { ["name"] = name, ["timeZone"] = timeZone };
            if (existing?["contract"] is { } contract)
            {
                body["contract"] = contract.DeepClone();
            }

            if (domains.Length > 0)
            {
                body["emailDomains"] = new JsonArray([.. domains.Select(d => (JsonNode)d)]);
            }

            try
            {
                await api.SendAsync(HttpMethod.Put, $"/api/accounts/{Uri.EscapeDataString(id)}", body, ct);
            }
            catch (CtlException ex)
            {
                throw new CtlException($"line {line}: {ex.Message}\nImported {created + updated} of {accounts.Count} accounts before it; fix the line and run the import again (imported lines are skipped).");
            }

            if (existing is null)
            {
                created++;
            }
            else
            {
                updated++;
            }

            console.Progress($"import: {created + updated}/{accounts.Count} accounts");
        }

        await console.Out.WriteLineAsync($"{path}: {created} accounts created, {updated} updated.");
        return 0;
    }

    public async Task<int> ImportContactsAsync(string path, bool invite, bool dryRun, CancellationToken ct)
    {
        var rows = Read(path, ["accountId", "email", "name"]);
        var errors = new List<string>();
        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var accountIds = (await api.GetAsync("/api/accounts", ct))!.AsArray().Select(a => a!["id"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        var contacts = new List<(int Line, string AccountId, string Email, string Name, bool Manager, string? Id)>();
        foreach (var (line, get) in rows)
        {
            var problems = new List<string>();
            var accountId = get("accountId");
            var email = get("email");
            var name = get("name");
            var managerText = get("manager");
            var id = get("id");
            if (accountId is null)
            {
                problems.Add("accountId is empty");
            }
            else if (!accountIds.Contains(accountId))
            {
                problems.Add($"account '{accountId}' does not exist (import the clients first)");
            }

            if (email is null)
            {
                problems.Add("email is empty");
            }
            else if (!MailAddress.TryCreate(email, out var address) || address.Address != email)
            {
                problems.Add($"email '{email}' is not an email address");
            }
            else if (seen.TryGetValue(email, out var first))
            {
                problems.Add($"email '{email}' is also on line {first}");
            }
            else
            {
                seen[email] = line;
            }

            if (name is null)
            {
                problems.Add("name is empty");
            }

            var manager = false;
            if (managerText is not null && !TryParseBool(managerText, out manager))
            {
                problems.Add($"manager '{managerText}' is not true/false (yes/no, 1/0)");
            }

            if (id is not null && !UserIdPattern().IsMatch(id))
            {
                problems.Add($"id '{id}' may only use lowercase letters, digits, '.', '_' and '-' (at most 64), e.g. alice");
            }

            if (problems.Count > 0)
            {
                errors.Add($"line {line}: {string.Join("; ", problems)}");
            }
            else
            {
                contacts.Add((line, accountId!, email!, name!, manager, id));
            }
        }

        Stop(path, errors);
        if (dryRun)
        {
            await console.Out.WriteLineAsync($"{path}: {contacts.Count} contacts are valid (dry run: nothing imported).");
            return 0;
        }

        var existing = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        int created = 0, skipped = 0;
        foreach (var (line, accountId, email, name, manager, id) in contacts)
        {
            if (!existing.TryGetValue(accountId, out var emails))
            {
                var users = await api.GetAsync($"/api/accounts/{Uri.EscapeDataString(accountId)}/users", ct);
                emails = (users as JsonArray ?? users?["items"] as JsonArray ?? [])
                    .Select(u => u!["email"]!.GetValue<string>()).ToHashSet(StringComparer.OrdinalIgnoreCase);
                existing[accountId] = emails;
            }

            if (emails.Contains(email))
            {
                skipped++;
                continue;
            }

            var body = new JsonObject { ["email"] = email, ["name"] = name, ["manager"] = manager, ["sendInvitation"] = invite };
            if (id is not null)
            {
                body["id"] = id;
            }

            try
            {
                await api.SendAsync(HttpMethod.Post, $"/api/accounts/{Uri.EscapeDataString(accountId)}/users", body, ct);
            }
            catch (CtlException ex)
            {
                throw new CtlException($"line {line}: {ex.Message}\nImported {created} of {contacts.Count} contacts before it; fix the line and run the import again (imported lines are skipped).");
            }

            emails.Add(email);
            created++;
            console.Progress($"import: {created + skipped}/{contacts.Count} contacts");
        }

        await console.Out.WriteLineAsync($"{path}: {created} contacts created, {skipped} already there.");
        return 0;
    }

    private static void Stop(string path, List<string> errors)
    {
        if (errors.Count > 0)
        {
            throw new CtlException($"{path}: nothing was imported; {errors.Count} line(s) need fixing:\n{string.Join("\n", errors)}");
        }
    }

    /// <summary>The data lines with their line numbers and a getter by column (null for empty).</summary>
    private static List<(int Line, Func<string, string?> Get)> Read(string path, string[] required)
    {
        if (!File.Exists(path))
        {
            throw new CtlException($"The file '{path}' does not exist.");
        }

        var configuration = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            PrepareHeaderForMatch = args => args.Header.Trim().ToLowerInvariant(),
            TrimOptions = TrimOptions.Trim,
            DetectDelimiter = true,
            BadDataFound = null,
            MissingFieldFound = null,
        };
        using var reader = new StreamReader(path);
        using var csv = new CsvReader(reader, configuration);
        if (!csv.Read() || !csv.ReadHeader())
        {
            throw new CtlException($"{path} is empty: the first line must name the columns ({string.Join(",", required)}...).");
        }

        var header = csv.HeaderRecord!.Select(h => h.Trim().ToLowerInvariant()).ToHashSet();
        var missing = required.Where(r => !header.Contains(r.ToLowerInvariant())).ToList();
        if (missing.Count > 0)
        {
            throw new CtlException($"{path}: the header line lacks the column(s) {string.Join(", ", missing)}; it has {string.Join(", ", csv.HeaderRecord!)}.");
        }

        var rows = new List<(int, Func<string, string?>)>();
        while (csv.Read())
        {
            var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var column in csv.HeaderRecord!)
            {
                var value = csv.GetField(column.Trim())?.Trim();
                values[column.Trim()] = string.IsNullOrEmpty(value) ? null : value;
            }

            if (values.Values.All(v => v is null))
            {
                continue; // blank line
            }

            rows.Add((csv.Parser.RawRow, column => values.TryGetValue(column, out var v) ? v : null));
        }

        return rows;
    }

    private static bool TryParseBool(string text, out bool value)
    {
        switch (text.ToLowerInvariant())
        {
            case "true" or "yes" or "y" or "1": value = true; return true;
            case "false" or "no" or "n" or "0": value = false; return true;
            default: value = false; return false;
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex AccountIdPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex UserIdPattern();
}
