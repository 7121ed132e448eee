using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Email.Outbox;

/// <summary>One outgoing message as the admin view shows it (bodies left out).</summary>
internal sealed record OutboxEntry(string Id, string MessageId, string To, string Subject, string Purpose, string Status,
    int Attempts, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset? SentAt);

/// <summary>Reads and re-queues outbox rows for the admin API and the health check.</summary>
internal sealed class OutboxQueries(IDatabase database, TimeProvider clock)
{
    public async Task<IReadOnlyList<OutboxEntry>> ListAsync(string? status, int page, int pageSize, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"""
            SELECT id, message_id, to_address, subject, purpose, status, attempts, last_error, created_at_ms, sent_at_ms
            FROM sp_mail_outbox {(status is null ? "" : "WHERE status = @status")}
            ORDER BY created_at_ms DESC, id LIMIT @take OFFSET @skip
            """,
            new { status, take = pageSize, skip = (page - 1) * pageSize },
            cancellationToken: cancellationToken));
        return rows.Select(r => new OutboxEntry(r.Id, r.Message_Id, r.To_Address, r.Subject, r.Purpose, r.Status, r.Attempts, r.Last_Error,
            DateTimeOffset.FromUnixTimeMilliseconds(r.Created_At_Ms), r.Sent_At_Ms is { } sent ? DateTimeOffset.FromUnixTimeMilliseconds(sent) : null)).ToList();
    }

    public async Task<bool> RetryAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sp_mail_outbox SET status = 'pending', next_attempt_at_ms = @now, lease_until_ms = NULL WHERE id = @id AND status <> 'sent'",
            new { id, now = clock.GetUtcNow().ToUnixTimeMilliseconds() },
            cancellationToken: cancellationToken)) == 1;
    }

    public async Task<(long Pending, long Failed)> CountsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var counts = await connection.QuerySingleAsync<(long Pending, long Failed)>(new CommandDefinition(
            "SELECT (SELECT count(*) FROM sp_mail_outbox WHERE status = 'pending'), (SELECT count(*) FROM sp_mail_outbox WHERE status = 'failed')",
            cancellationToken: cancellationToken));
        return counts;
    }

    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string Message_Id { get; set; } = "";
        public string To_Address { get; set; } = "";
        public string Subject { get; set; } = "";
        public string Purpose { get; set; } = "";
        public string Status { get; set; } = "";
        public int Attempts { get; set; }
        public string? Last_Error { get; set; }
        public long Created_At_Ms { get; set; }
        public long? Sent_At_Ms { get; set; }
    }
}

/// <summary>
/// Readiness of mail: Degraded (still HTTP 200) when messages wait with no SMTP server configured, or when some failed
/// for good; the node keeps serving everything else.
/// </summary>
internal sealed class MailHealthCheck(OutboxQueries queries, IOptionsMonitor<EmailOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var (pending, failed) = await queries.CountsAsync(cancellationToken);
        var data = new Dictionary<string, object> { ["pending"] = pending, ["failed"] = failed };
        if (!options.CurrentValue.Smtp.Configured)
        {
            return pending > 0
                ? HealthCheckResult.Degraded($"{pending} message(s) wait: no SMTP server is configured (SupportPlatform:Email:Smtp:Host).", data: data)
                : HealthCheckResult.Healthy("No SMTP server is configured; nothing waits to be sent.", data);
        }

        return failed > 0
            ? HealthCheckResult.Degraded($"{failed} message(s) could not be delivered; see GET /api/admin/mail/outbox?status=failed.", data: data)
            : HealthCheckResult.Healthy($"{pending} message(s) waiting.", data);
    }
}
