using System.Data.Common;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Billing.Tests;

/// <summary>
/// One real host per back-end and test class, on a fake clock: account "acme" with a manager (mia) and another user
/// (carl), a senior engineer (sam). Tests use their own estimates, so they do not interfere.
/// </summary>
public abstract partial class BillingFixture(DatabaseProvider provider, DateTimeOffset? start = null) : IAsyncLifetime
{
    // Starts at the real time, or later: the sign-in cookie the helpers use expires by the fake clock but is kept by the
    // real one, so the fake clock must never be behind the real one.
    public FakeTimeProvider Clock { get; } = new(start is { } at && at > DateTimeOffset.UtcNow ? at : DateTimeOffset.UtcNow);

    public PlatformFactory Factory { get; private set; } = null!;

    public HttpClient Staff { get; private set; } = null!;

    public HttpClient Manager { get; private set; } = null!;

    public HttpClient OtherClient { get; private set; } = null!;

    public HttpClient Anonymous { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var postgres = provider == DatabaseProvider.PostgreSql ? await PostgresServer.Shared.CreateDatabaseAsync("billing") : null;
        Factory = new PlatformFactory(postgres: postgres, clock: Clock, extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:Billing:TaxRate"] = "10",
            ["SupportPlatform:Billing:TaxName"] = "VAT",
            ["SupportPlatform:Billing:Seller:Name"] = "Acme MSP Ltd",
            ["SupportPlatform:Email:PublicUrl"] = "http://support.tests.example",
        });
        Staff = await Factory.CreateStaffClientAsync("senior", "sam", "Sam Senior");
        (await Staff.PutAsJsonAsync("/api/accounts/acme", new { name = "Acme Corp", timeZone = "Etc/UTC" })).EnsureSuccessStatusCode();
        (await Staff.PutAsJsonAsync("/api/accounts/globex", new { name = "Globex", timeZone = "Etc/UTC" })).EnsureSuccessStatusCode();
        Manager = await Factory.CreateClientUserClientAsync("acme", "mia", "Mia Manager", manager: true);
        OtherClient = await Factory.CreateClientUserClientAsync("acme", "carl", "Carl Client");
        Anonymous = Factory.Users.Anonymous();
    }

    public Task DisposeAsync()
    {
        Factory.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Creates and sends an estimate: one line per (task, hours) at 85/h. Returns its id.</summary>
    public async Task<string> SentEstimateAsync(string account = "acme", params (string Task, decimal Hours)[] lines)
    {
        var created = await Json(await Staff.PostAsJsonAsync("/api/billing/estimates", new
        {
            accountId = account,
            title = "Migrate the mail server",
            scopeReason = "Migrations are not covered by the support contract.",
            lines = (lines.Length == 0 ? [("Move mailboxes", 2m)] : lines).Select(l => new { task = l.Task, hours = l.Hours, rate = 85m }),
            assumptions = new[] { "Client provides admin access" },
            validUntil = "2027-06-30",
        }), 201);
        var id = (string)created["id"]!;
        await Json(await Staff.PostAsync($"/api/billing/estimates/{id}/send", null), 200);
        return id;
    }

    /// <summary>An estimate the manager approved; returns its id and first task's id.</summary>
    public async Task<(string Id, string TaskId)> ApprovedEstimateAsync(params (string Task, decimal Hours)[] lines)
    {
        var id = await SentEstimateAsync("acme", lines);
        var decided = await Json(await Manager.PostAsJsonAsync($"/api/billing/estimates/{id}/decision", new { version = 1, decision = "approve" }), 200);
        return (id, (string)decided["estimate"]!["tasks"]![0]!["id"]!);
    }

    /// <summary>The approval link mailed for version <paramref name="version"/> of estimate <paramref name="id"/> (path only).</summary>
    public async Task<string> ApprovalLinkAsync(string id, int version)
    {
        await using var connection = await Factory.Services.GetRequiredService<IDatabase>().OpenConnectionAsync();
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT text_body FROM sp_mail_outbox WHERE purpose = 'estimate-sent' AND to_address = 'mia@acme.tests.example'";
        await using var reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var body = reader.GetString(0);
            if (body.Contains($"Estimate {id}, version {version},", StringComparison.Ordinal))
            {
                return new Uri(LinkPattern().Match(body).Value).AbsolutePath;
            }
        }

        throw new InvalidOperationException($"No estimate mail for {id} version {version}.");
    }

    /// <summary>Connections open to this host's database (PostgreSQL; 0 on SQLite, which has no server to ask).</summary>
    public async Task<long> OpenConnectionsAsync()
    {
        if (provider != DatabaseProvider.PostgreSql)
        {
            return 0;
        }

        await using var connection = await Factory.Services.GetRequiredService<IDatabase>().OpenConnectionAsync();
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()";
        return (long)(await query.ExecuteScalarAsync())!;
    }

    public static async Task<JsonNode> Json(HttpResponseMessage response, int expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expected, $"expected {expected}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text.Length == 0 ? "{}" : text)!;
    }

    [GeneratedRegex(@"http://support\.tests\.example/billing/approval/\S+")]
    private static partial Regex LinkPattern();
}

public sealed class SqliteBilling() : BillingFixture(DatabaseProvider.Sqlite);

public sealed class PostgreSqlBilling() : BillingFixture(DatabaseProvider.PostgreSql);
