using System.Collections.Concurrent;
using System.Data.Common;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using SupportPlatform.Core.Mail;
using SupportPlatform.Identity.Security;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Testing;
using SupportPlatform.Testing.Host;

namespace SupportPlatform.Identity.Tests;

/// <summary>A mail outbox that records what it is given, so tests can read a sign-in link and redeem it.</summary>
public sealed class RecordingMail : IOutboundMail
{
    public ConcurrentQueue<OutboundMail> Sent { get; } = new();

    public Task<string> EnqueueAsync(OutboundMail mail, CancellationToken cancellationToken)
    {
        Sent.Enqueue(mail);
        return Task.FromResult(Guid.NewGuid().ToString());
    }

    public Task<string> EnqueueAsync(OutboundMail mail, DbTransaction transaction, CancellationToken cancellationToken) =>
        EnqueueAsync(mail, cancellationToken);

    /// <summary>The path of the sign-in link in the last mail to <paramref name="to"/>.</summary>
    public string LinkTo(string to)
    {
        var mail = Sent.Last(m => m.To == to);
        var start = mail.TextBody.IndexOf("/auth/link/", StringComparison.Ordinal);
        Assert.True(start >= 0, "no sign-in link in: " + mail.TextBody);
        var end = mail.TextBody.IndexOfAny([' ', '\n', '\r'], start);
        return mail.TextBody[start..end];
    }
}

/// <summary>One real host per back-end with a recording mail outbox, accounts "acme" and "globex", and a staff admin.</summary>
public abstract class IdentityFixture : IAsyncLifetime
{
    private readonly DatabaseProvider provider;

    protected IdentityFixture(DatabaseProvider provider) => this.provider = provider;

    public PlatformFactory Factory { get; private set; } = null!;

    public RecordingMail Mail { get; } = new();

    public HttpClient Admin { get; private set; } = null!;

    public DatabaseProvider Provider => provider;

    public virtual async Task InitializeAsync()
    {
        var postgres = provider == DatabaseProvider.PostgreSql ? await PostgresServer.Shared.CreateDatabaseAsync("identity") : null;
        Factory = new PlatformFactory(postgres: postgres, services: services =>
        {
            services.AddSingleton<IOutboundMail>(Mail);
            services.AddSingleton<IStartupFilter, LoopbackAddress>();
        });
        Admin = Factory.CreateClient(await Factory.Users.AdminTokenAsync());
        await Admin.EnsureAccount("acme");
        await Admin.EnsureAccount("globex");
    }

    public Task DisposeAsync()
    {
        Factory.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Writes queued audit entries and token usage now instead of waiting for the background writer.</summary>
    public async Task FlushAsync()
    {
        var writer = Factory.Services.GetRequiredService<IdentityBackgroundWriter>();
        await writer.FlushAuditAsync(CancellationToken.None);
        await writer.FlushUsageAsync(CancellationToken.None);
    }

    public async Task<T> Scalar<T>(string sql, object? parameters = null)
    {
        await using var connection = await Factory.Services.GetRequiredService<IDatabase>().OpenConnectionAsync();
        return (await Dapper.SqlMapper.ExecuteScalarAsync<T>(connection, sql, parameters))!;
    }
}

/// <summary>The in-memory test server has no connection; give requests the loopback address a real one would have.</summary>
internal sealed class LoopbackAddress : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            context.Connection.RemoteIpAddress ??= System.Net.IPAddress.Loopback;
            return nextMiddleware(context);
        });
        next(app);
    };
}

public sealed class SqliteIdentity() : IdentityFixture(DatabaseProvider.Sqlite);

public sealed class PostgreSqlIdentity() : IdentityFixture(DatabaseProvider.PostgreSql);

internal static class Http
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<JsonElement> Ok(this HttpResponseMessage response, int? status = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status is null ? response.IsSuccessStatusCode : (int)response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<JsonElement> Problem(this HttpResponseMessage response, int status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task EnsureAccount(this HttpClient client, string id, string? name = null)
    {
        var response = await client.PutAsJsonAsync($"/api/accounts/{id}", new { name = name ?? id + " Ltd", timeZone = "Europe/London" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public static string Str(this JsonElement element, string property) => element.GetProperty(property).GetString()!;
}
