using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SupportPlatform.Accounts.Contracts;

namespace SupportPlatform.Phone.Tests;

/// <summary>
/// The monthly phone allowance over the API on a fake clock (15 December 2026): calls logged by staff, rounding,
/// thresholds, overage, periods in the account's time zone. Each test uses its own account.
/// </summary>
public abstract class AllowanceTests(PhoneFixture host)
{
    private readonly HttpClient staff = host.Staff;

    private async Task<JsonNode> LogAsync(string account, string startedAt, double minutes, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/phone/calls")
        {
            Content = JsonContent.Create(new { accountId = account, startedAt, durationMinutes = minutes, number = "+442079460000", notes = "Printer queue stuck" }),
        };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return await PhoneFixture.Ok(await staff.SendAsync(request));
    }

    private async Task<JsonNode> BalanceAsync(string account, string at) =>
        JsonNode.Parse(await staff.GetStringAsync($"/api/accounts/{account}/allowance?at={Uri.EscapeDataString(at)}"))!;

    [Theory]
    [InlineData(6, 6, 1, 6)]
    [InlineData(6, 6, 6, 6)]
    [InlineData(6, 6, 6.1, 12)]
    [InlineData(15, 15, 2, 15)]
    [InlineData(15, 15, 16, 30)]
    [InlineData(0, 15, 31, 45)]
    public async Task LoggedCall_RoundedByContract_CountsRoundedMinutes(int minimum, int increment, double minutes, int expected)
    {
        var account = $"round-{minimum}-{increment}-{(int)(minutes * 10)}";
        await host.DefineAccountAsync(account, phone: p => { p["minimumMinutes"] = minimum; p["incrementMinutes"] = increment; });

        var call = await LogAsync(account, "2026-12-14T10:00:00Z", minutes);

        Assert.Equal(expected, (int)call["countedMinutes"]!);
        Assert.Equal(expected, (int)(await BalanceAsync(account, "2026-12-14T10:00:00Z"))["usedMinutes"]!);
    }

    [Fact]
    public async Task LoggedCall_SameIdempotencyKeyTwice_CountedOnce()
    {
        await host.DefineAccountAsync("twice");

        await LogAsync("twice", "2026-12-14T10:00:00Z", 10, "call-1");
        await LogAsync("twice", "2026-12-14T10:00:00Z", 10, "call-1");

        Assert.Equal(12, (int)(await BalanceAsync("twice", "2026-12-14T10:00:00Z"))["usedMinutes"]!);
    }

    [Fact]
    public async Task Thresholds_80And100_NotifiedOnceEach_ToTheManagerByMail_AndToSubscribedStaffByTheNotificationService_ThenOverageBillable()
    {
        // Staff hear of it through the notification service, by their own preferences (the one path for staff notifications).
        await PhoneFixture.Ok(await staff.PutAsJsonAsync("/api/notifications/preferences", new { channels = new Dictionary<string, string[]> { ["hour-threshold"] = ["email"] } }));
        await host.DefineAccountAsync("thresh", phone: p => p["monthlyAllowance"] = "01:00:00");
        await host.Factory.CreateClientUserClientAsync("thresh", "thresh-boss", "Boss", manager: true);
        await host.Factory.CreateClientUserClientAsync("thresh", "thresh-user", "User");

        await LogAsync("thresh", "2026-12-01T09:00:00Z", 30);   // 30 of 60: 50%
        Assert.Empty(await host.MailAsync("thresh Ltd:"));
        await LogAsync("thresh", "2026-12-02T09:00:00Z", 18);   // 48: 80%
        await LogAsync("thresh", "2026-12-03T09:00:00Z", 6);    // 54: 90%, no new notice
        var at80 = await host.MailAsync("thresh Ltd:");
        await LogAsync("thresh", "2026-12-04T09:00:00Z", 6);    // 60: 100%
        await LogAsync("thresh", "2026-12-05T09:00:00Z", 12);   // 72: 12 minutes of overage, no new notice

        Assert.Equal([("thresh-boss@thresh.tests.example", "phone-allowance-80")], at80.Where(m => m.Purpose.StartsWith("phone-", StringComparison.Ordinal)).Select(m => (m.To, m.Purpose)));
        var all = await host.MailAsync("thresh Ltd:");
        Assert.Equal(["phone-allowance-100", "phone-allowance-80"], all.Where(m => m.Purpose.StartsWith("phone-", StringComparison.Ordinal)).Select(m => m.Purpose).Order(StringComparer.Ordinal));

        // Alice's notifications: one per share, by email, delivered by the notification service's dispatcher.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        IReadOnlyList<(string To, string Purpose, string Subject)> told = [];
        while (DateTime.UtcNow < deadline && told.Count < 2)
        {
            told = [.. (await host.MailAsync("thresh Ltd:")).Where(m => m.Purpose == "notification-hour-threshold")];
            await Task.Delay(200);
        }

        Assert.Equal(
            [("alice@staff.tests.example", "thresh Ltd: 100% of the hour allowance used (2026-12)"), ("alice@staff.tests.example", "thresh Ltd: 80% of the hour allowance used (2026-12)")],
            told.Select(m => (m.To, m.Subject)).Order());
        var balance = await BalanceAsync("thresh", "2026-12-05T09:00:00Z");
        Assert.Equal((72, 0, 12, 17.00m, "USD"), ((int)balance["usedMinutes"]!, (int)balance["remainingMinutes"]!, (int)balance["overageMinutes"]!,
            (decimal)balance["overageAmount"]!["amount"]!, (string?)balance["overageAmount"]!["currency"]));
        var line = Assert.Single(JsonNode.Parse(await staff.GetStringAsync("/api/accounts/thresh/billable-lines"))!.AsArray());
        Assert.Equal((12, 85.00m, 17.00m, "unbilled", "2026-12"), ((int)line!["minutes"]!, (decimal)line["rate"]!["amount"]!, (decimal)line["amount"]!["amount"]!, (string?)line["status"], (string?)line["period"]));
    }

    [Fact]
    public async Task Overage_CustomRate_ExactDecimalAmount()
    {
        await host.DefineAccountAsync("rate", phone: p =>
        {
            p["monthlyAllowance"] = "00:00:00";
            p["overageRate"] = new JsonObject { ["amount"] = 92.50m, ["currency"] = "EUR" };
        });

        await LogAsync("rate", "2026-12-14T10:00:00Z", 7);   // 12 minutes at 92.50/h

        var balance = await BalanceAsync("rate", "2026-12-14T10:00:00Z");
        Assert.Equal((12, 18.50m, "EUR"), ((int)balance["overageMinutes"]!, (decimal)balance["overageAmount"]!["amount"]!, (string?)balance["overageAmount"]!["currency"]));
    }

    [Fact]
    public async Task Rollover_AtMidnightInAccountZone_AcrossDstChange()
    {
        // New York leaves daylight time on Sunday 1 November 2026 at 02:00; its midnight is still EDT (04:00 UTC).
        await host.DefineAccountAsync("nyc", "America/New_York");

        await LogAsync("nyc", "2026-11-01T03:59:00Z", 6);   // 31 October 23:59 EDT
        await LogAsync("nyc", "2026-11-01T04:00:00Z", 12);  // 1 November 00:00 EDT

        var october = await BalanceAsync("nyc", "2026-10-20T12:00:00Z");
        var november = await BalanceAsync("nyc", "2026-11-20T12:00:00Z");
        Assert.Equal(("2026-10", 6, "2026-11-01T04:00:00+00:00"), ((string?)october["period"], (int)october["usedMinutes"]!, DateTimeOffset.Parse((string)october["endsAt"]!).ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:sszzz")));
        Assert.Equal(("2026-11", 12, "2026-12-01T05:00:00+00:00"), ((string?)november["period"], (int)november["usedMinutes"]!, DateTimeOffset.Parse((string)november["endsAt"]!).ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:sszzz")));
        var periods = JsonNode.Parse(await staff.GetStringAsync("/api/accounts/nyc/allowance/periods"))!.AsArray();
        Assert.Equal([("2026-11", true, 12), ("2026-10", true, 6)], periods.Select(p => ((string)p!["period"]!, (bool)p["closed"]!, (int)p["usedMinutes"]!)));
        var current = await BalanceAsync("nyc", "2026-12-15T10:00:00Z");
        Assert.Equal((0, 600, false), ((int)current["usedMinutes"]!, (int)current["remainingMinutes"]!, (bool)current["closed"]!));
    }

    [Fact]
    public async Task CallSpanningBoundary_CountsWhollyInPeriodItStarted()
    {
        // London is on BST from 29 March 2026: April starts at 31 March 23:00 UTC.
        await host.DefineAccountAsync("span");

        await LogAsync("span", "2026-03-31T22:50:00Z", 30);  // 23:50 BST on 31 March, until 00:20 on 1 April

        Assert.Equal(30, (int)(await BalanceAsync("span", "2026-03-15T12:00:00Z"))["usedMinutes"]!);
        Assert.Equal(0, (int)(await BalanceAsync("span", "2026-04-15T12:00:00Z"))["usedMinutes"]!);
        Assert.Equal("2026-03-31T23:00:00+00:00", DateTimeOffset.Parse((string)(await BalanceAsync("span", "2026-04-15T12:00:00Z"))["startsAt"]!).ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:sszzz"));
    }

    [Fact]
    public async Task RemoteSession_CountsOnlyWhenContractSaysSo()
    {
        await host.DefineAccountAsync("phoneonly");
        await host.DefineAccountAsync("withremote", phone: p => p["counts"] = "phone-and-remote");

        foreach (var account in new[] { "phoneonly", "withremote" })
        {
            await PhoneFixture.Ok(await staff.PostAsJsonAsync($"/api/accounts/{account}/usage", new { usageId = "rs-1", kind = "remote-session", startedAt = "2026-12-14T10:00:00Z", minutes = 20 }));
        }

        Assert.Equal(0, (int)(await BalanceAsync("phoneonly", "2026-12-14T10:00:00Z"))["usedMinutes"]!);
        Assert.Equal(24, (int)(await BalanceAsync("withremote", "2026-12-14T10:00:00Z"))["usedMinutes"]!);
    }

    [Fact]
    public async Task Client_SeesOwnBalanceOnly()
    {
        await host.DefineAccountAsync("mine");
        await host.DefineAccountAsync("theirs");
        await LogAsync("mine", "2026-12-14T10:00:00Z", 6);
        using var client = await host.Factory.CreateClientUserClientAsync("mine", "mine-user", "Mine User");

        var own = JsonNode.Parse(await client.GetStringAsync("/api/accounts/mine/allowance"))!;

        Assert.Equal((6, 594), ((int)own["usedMinutes"]!, (int)own["remainingMinutes"]!));
        await PhoneFixture.Problem(await client.GetAsync("/api/accounts/theirs/allowance"), 404);
        await PhoneFixture.Problem(await client.GetAsync("/api/phone/calls"), 403);
    }

    [Fact]
    public async Task Define_BadPhoneTerms_ProblemSaysWhat()
    {
        await host.DefineAccountAsync("badterms");
        var account = JsonNode.Parse(await staff.GetStringAsync("/api/accounts/badterms"))!;
        account["contract"]!["phone"]!["incrementMinutes"] = 0;
        account["contract"]!["phone"]!["supportNumbers"] = new JsonArray("020 7946 0000");

        var problem = await PhoneFixture.Problem(await staff.PutAsJsonAsync("/api/accounts/badterms", new { name = "Bad", timeZone = "Europe/London", contract = account["contract"] }), 422);

        var text = problem.GetProperty("detail").GetString()!;
        Assert.Contains("rounding increment", text, StringComparison.Ordinal);
        Assert.Contains("E.164", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("America/New_York", "2026-11-15T00:00:00Z", "2026-11", "2026-11-01T04:00:00Z", "2026-12-01T05:00:00Z")]
    [InlineData("Europe/London", "2026-03-31T23:30:00Z", "2026-04", "2026-03-31T23:00:00Z", "2026-04-30T23:00:00Z")]
    [InlineData("America/Santiago", "2026-09-10T12:00:00Z", "2026-09", "2026-09-01T04:00:00Z", "2026-10-01T03:00:00Z")]
    public void BillingPeriod_LocalMonthBoundaries(string zone, string instant, string label, string start, string end)
    {
        var period = BillingPeriods.For(zone, DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal((label, DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.Parse(end, System.Globalization.CultureInfo.InvariantCulture)), period);
    }
}

public sealed class SqliteAllowanceTests(SqlitePhone host) : AllowanceTests(host), IClassFixture<SqlitePhone>;

public sealed class PostgreSqlAllowanceTests(PostgreSqlPhone host) : AllowanceTests(host), IClassFixture<PostgreSqlPhone>;
