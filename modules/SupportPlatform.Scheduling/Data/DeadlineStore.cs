using System.Data.Common;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using SupportPlatform.Scheduling.Contracts;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Scheduling.Data;

/// <summary>A due deadline row as read by its shard.</summary>
internal readonly record struct DueDeadline(string Id, long DueAtMs, string Target, string Kind, string Payload);

/// <summary>The SQL of <c>sp_deadlines</c>, shared by PostgreSQL and SQLite (portable statements, named parameters).</summary>
internal sealed class DeadlineStore(IDatabase database, IOptions<DeadlineSchedulerOptions> options)
{
    // Rows per multi-row statement: 7 parameters each stays far below both back-ends' parameter limits.
    private const int UpsertChunk = 200;
    private const int DeleteChunk = 400;

    private readonly int shardCount = options.Value.ShardCount;

    public int ShardCount => shardCount;

    public int ShardOf(string id) => DeadlineShards.Of(id, shardCount);

    public Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => database.OpenConnectionAsync(cancellationToken);

    public async Task UpsertAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyCollection<DeadlineRequest> deadlines, long nowMs, CancellationToken cancellationToken)
    {
        // PostgreSQL refuses to update one row twice in one statement: the last request for an id wins, as it would in sequence.
        var unique = deadlines.GroupBy(d => d.Id, StringComparer.Ordinal).Select(g => g.Last()).ToList();
        foreach (var chunk in unique.Chunk(UpsertChunk))
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            var sql = new StringBuilder("INSERT INTO sp_deadlines (id, shard, due_at_ms, target, kind, payload, created_at_ms) VALUES ");
            for (var i = 0; i < chunk.Length; i++)
            {
                var d = chunk[i];
                sql.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"(@i{i}, @s{i}, @d{i}, @t{i}, @k{i}, @p{i}, @c)");
                Add(command, "i" + i, d.Id);
                Add(command, "s" + i, ShardOf(d.Id));
                Add(command, "d" + i, d.DueAt.ToUnixTimeMilliseconds());
                Add(command, "t" + i, d.Target.ToString());
                Add(command, "k" + i, d.Kind);
                Add(command, "p" + i, d.Payload);
            }

            Add(command, "c", nowMs);
            sql.Append(" ON CONFLICT (id) DO UPDATE SET shard = excluded.shard, due_at_ms = excluded.due_at_ms, target = excluded.target, ")
                .Append("kind = excluded.kind, payload = excluded.payload, created_at_ms = excluded.created_at_ms");
            command.CommandText = sql.ToString();
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<int> DeleteAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        var deleted = 0;
        foreach (var chunk in ids.Distinct(StringComparer.Ordinal).Chunk(DeleteChunk))
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            var names = new string[chunk.Length];
            for (var i = 0; i < chunk.Length; i++)
            {
                names[i] = "@i" + i.ToString(CultureInfo.InvariantCulture);
                Add(command, names[i][1..], chunk[i]);
            }

            command.CommandText = $"DELETE FROM sp_deadlines WHERE id IN ({string.Join(", ", names)})";
            deleted += await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return deleted;
    }

    /// <summary>Deletes delivered rows, each only if it still has the due time that was delivered (a re-schedule in between survives).</summary>
    public async Task DeleteDeliveredAsync(IReadOnlyList<(string Id, long DueAtMs)> delivered, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var chunk in delivered.Chunk(DeleteChunk))
        {
            await using var command = connection.CreateCommand();
            var sql = new StringBuilder("DELETE FROM sp_deadlines WHERE ");
            for (var i = 0; i < chunk.Length; i++)
            {
                sql.Append(i == 0 ? "" : " OR ").Append(CultureInfo.InvariantCulture, $"(id = @i{i} AND due_at_ms = @d{i})");
                Add(command, "i" + i, chunk[i].Id);
                Add(command, "d" + i, chunk[i].DueAtMs);
            }

            command.CommandText = sql.ToString();
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The due times of a shard's rows up to <paramref name="untilMs"/> (overdue ones included): the shard's window.</summary>
    public async Task<List<long>> LoadDueTimesAsync(int shard, long untilMs, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT due_at_ms FROM sp_deadlines WHERE shard = @shard AND due_at_ms <= @until";
        Add(command, "shard", shard);
        Add(command, "until", untilMs);
        var times = new List<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            times.Add(reader.GetInt64(0));
        }

        return times;
    }

    /// <summary>A shard's rows due at <paramref name="nowMs"/>, earliest first.</summary>
    public async Task<List<DueDeadline>> FetchDueAsync(int shard, long nowMs, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText =
            "SELECT id, due_at_ms, target, kind, payload FROM sp_deadlines WHERE shard = @shard AND due_at_ms <= @now ORDER BY due_at_ms, id LIMIT @limit";
        Add(command, "shard", shard);
        Add(command, "now", nowMs);
        Add(command, "limit", limit);
        var rows = new List<DueDeadline>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new DueDeadline(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetString(4)));
        }

        return rows;
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
