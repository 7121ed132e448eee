using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SupportPlatform.Sdk.Telephony;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Phone.Tests;

/// <summary>
/// One real host per back-end on a fake clock (Tuesday 15 December 2026, 10:00 UTC: business hours in London), a
/// senior engineer alice with a phone number on duty. Tests use accounts of their own, so they do not interfere.
/// </summary>
public abstract class PhoneFixture(DatabaseProvider provider) : IAsyncLifetime
{
    public const string AliceNumber = "+447700900001";

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 15, 10, 0, 0, TimeSpan.Zero));

    public PlatformFactory Factory { get; private set; } = null!;

    public HttpClient Staff { get; private set; } = null!;

    public ITelephonyService Telephony => Factory.Services.GetRequiredService<ITelephonyService>();

    public async Task InitializeAsync()
    {
        var postgres = provider == DatabaseProvider.PostgreSql ? await PostgresServer.Shared.CreateDatabaseAsync("phone") : null;
        Factory = new PlatformFactory(postgres: postgres, clock: Clock, extra: new Dictionary<string, string?>
        {
            ["SupportPlatform:Phone:OnCallNumber"] = "+447700900999",
        });
        Staff = await Factory.CreateStaffClientAsync("senior", "alice", "Alice Agent");
        await Ok(await Staff.PutAsJsonAsync("/api/phone/agents/alice", new { number = AliceNumber, onDuty = true, ringOrder = 1 }));
    }

    public Task DisposeAsync()
    {
        Factory.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Defines account <paramref name="id"/> with phone terms changed by <paramref name="phone"/> (a JSON patch of the reference terms).</summary>
    public async Task<JsonNode> DefineAccountAsync(string id, string timeZone = "Europe/London", Action<JsonObject>? phone = null, Action<JsonObject>? contract = null)
    {
        await Ok(await Staff.PutAsJsonAsync($"/api/accounts/{id}", new { name = id + " Ltd", timeZone }));
        var account = JsonNode.Parse(await Staff.GetStringAsync($"/api/accounts/{id}"))!;
        phone?.Invoke(account["contract"]!["phone"]!.AsObject());
        contract?.Invoke(account["contract"]!.AsObject());
        return await Ok(await Staff.PutAsJsonAsync($"/api/accounts/{id}", new { name = id + " Ltd", timeZone, contract = account["contract"] }));
    }

    public async Task<IReadOnlyList<(string To, string Purpose, string Subject)>> MailAsync(string subjectContains)
    {
        await using var connection = await Factory.Services.GetRequiredService<IDatabase>().OpenConnectionAsync();
        var rows = await connection.QueryAsync<(string, string, string)>(
            "SELECT to_address, purpose, subject FROM sp_mail_outbox WHERE subject LIKE @pattern ORDER BY to_address, purpose",
            new { pattern = "%" + subjectContains + "%" });
        return [.. rows];
    }

    public static async Task<JsonNode> Ok(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {response.RequestMessage?.RequestUri}: {body}");
        return body.Length == 0 ? new JsonObject() : JsonNode.Parse(body)!;
    }

    public static async Task<JsonElement> Problem(HttpResponseMessage response, int status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }
}

public sealed class SqlitePhone() : PhoneFixture(DatabaseProvider.Sqlite);

public sealed class PostgreSqlPhone() : PhoneFixture(DatabaseProvider.PostgreSql);
