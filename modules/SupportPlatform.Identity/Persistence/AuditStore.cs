using System.Text;
using Dapper;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Identity.Persistence;

/// <summary>
/// One audit log entry. Action says what happened ("signin.succeeded", "signin.failed", "staff.created", "token.revoked",
/// "request"...); Target holds the ids acted on (route values as JSON, or a user or token id).
/// </summary>
internal sealed record AuditEntry(
    DateTimeOffset At,
    string ActorKind,
    string? ActorId,
    string? ActorName,
    string Action,
    string? Method = null,
    string? Route = null,
    string? Target = null,
    int? Status = null,
    string? Ip = null,
    string? Detail = null)
{
    public long Id { get; init; }
}

/// <summary>Filters of the audit query; null means any.</summary>
internal sealed record AuditFilter(string? ActorId, string? Action, string? Target, DateTimeOffset? From, DateTimeOffset? To);

/// <summary>The audit log (<c>sp_audit_log</c>).</summary>
internal sealed class AuditStore(IDatabase database)
{
    public async Task WriteAsync(IReadOnlyCollection<AuditEntry> entries, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            return;
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_audit_log (at_ms, actor_kind, actor_id, actor_name, action, method, route, target, status, ip, detail)
            VALUES (@at, @ActorKind, @ActorId, @ActorName, @Action, @Method, @Route, @Target, @Status, @Ip, @Detail)
            """,
            entries.Select(e => new { at = e.At.ToUnixTimeMilliseconds(), e.ActorKind, e.ActorId, e.ActorName, e.Action, e.Method, e.Route, e.Target, e.Status, e.Ip, e.Detail }).ToArray(),
            transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Entries matching <paramref name="filter"/>, newest first, and how many match in all.</summary>
    public async Task<(IReadOnlyList<AuditEntry> Items, long Total)> QueryAsync(AuditFilter filter, int page, int pageSize, CancellationToken cancellationToken)
    {
        var where = new StringBuilder("WHERE 1 = 1");
        var parameters = new DynamicParameters();
        if (filter.ActorId is { } actor)
        {
            where.Append(" AND actor_id = @actor");
            parameters.Add("actor", actor);
        }

        if (filter.Action is { } action)
        {
            // "signin" matches "signin.succeeded" and "signin.failed".
            where.Append(" AND (action = @action OR action LIKE @actionPrefix)");
            parameters.Add("action", action);
            parameters.Add("actionPrefix", action + ".%");
        }

        if (filter.Target is { } target)
        {
            where.Append(" AND target LIKE @target");
            parameters.Add("target", "%" + target.Replace("%", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal) + "%");
        }

        if (filter.From is { } from)
        {
            where.Append(" AND at_ms >= @from");
            parameters.Add("from", from.ToUnixTimeMilliseconds());
        }

        if (filter.To is { } to)
        {
            where.Append(" AND at_ms < @to");
            parameters.Add("to", to.ToUnixTimeMilliseconds());
        }

        parameters.Add("limit", pageSize);
        parameters.Add("offset", (page - 1) * pageSize);
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT count(*) FROM sp_audit_log {where}", parameters, cancellationToken: cancellationToken));
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"""
            SELECT id AS Id, at_ms AS AtMs, actor_kind AS ActorKind, actor_id AS ActorId, actor_name AS ActorName, action AS Action,
                   method AS Method, route AS Route, target AS Target, status AS Status, ip AS Ip, detail AS Detail
            FROM sp_audit_log {where} ORDER BY at_ms DESC, id DESC LIMIT @limit OFFSET @offset
            """,
            parameters, cancellationToken: cancellationToken));
        return (rows.Select(r => r.ToEntry()).ToList(), total);
    }

    private sealed class Row
    {
        public long Id { get; set; }
        public long AtMs { get; set; }
        public string ActorKind { get; set; } = "";
        public string? ActorId { get; set; }
        public string? ActorName { get; set; }
        public string Action { get; set; } = "";
        public string? Method { get; set; }
        public string? Route { get; set; }
        public string? Target { get; set; }
        public long? Status { get; set; }
        public string? Ip { get; set; }
        public string? Detail { get; set; }

        public AuditEntry ToEntry() => new(
            DateTimeOffset.FromUnixTimeMilliseconds(AtMs), ActorKind, ActorId, ActorName, Action, Method, Route, Target, (int?)Status, Ip, Detail) { Id = Id };
    }
}
