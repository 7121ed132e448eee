using System.Data.Common;
using System.Text.Json;
using Dapper;
using SupportPlatform.Core.Caching;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Tickets.Contracts;
using SupportPlatform.Tickets.Persistence;

namespace SupportPlatform.Tickets.Routing;

/// <summary>
/// The agent directory, vendors, rule lists, round-robin rotation and vendor outbox (tables of migration 0006).
/// Plain rows rather than grains: they are small, edited rarely, read by every silo, and each write is one statement.
/// </summary>
internal sealed class RoutingStore(IDatabase database, TimeProvider clock, IGrainFactory grains) : IAgentDirectory
{
    // Rules are read for every new ticket and written rarely: each silo keeps the last read copy per list, valid while
    // the list's version token is unchanged (one in-memory grain call instead of a query), and at most a minute as a
    // backstop against a writer that stopped between its write and the token change.
    private static readonly TimeSpan CacheBackstop = TimeSpan.FromMinutes(1);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string Token, long ReadAt, object Rules)> cache = new();

    public const string RoutingRules = "routing";
    public const string EscalationRules = "escalation";

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task PutAgentAsync(Agent agent, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_agents (id, display_name, active, on_shift, updated_at_ms, data)
            VALUES (@id, @display_name, @active, @on_shift, @now, @data)
            ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, active = excluded.active,
                on_shift = excluded.on_shift, updated_at_ms = excluded.updated_at_ms, data = excluded.data
            """,
            new
            {
                id = agent.Id,
                display_name = agent.DisplayName,
                active = agent.Active ? 1 : 0,
                on_shift = agent.OnShift ? 1 : 0,
                now = Now,
                data = JsonSerializer.Serialize(agent, TicketJson.Options),
            },
            cancellationToken: cancellationToken));
    }

    public async Task<Agent?> GetAgentAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var data = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT data FROM sp_agents WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return data is null ? null : JsonSerializer.Deserialize<Agent>(data, TicketJson.Options);
    }

    /// <summary>All agents, or with <paramref name="available"/> only those active and on shift.</summary>
    public async Task<IReadOnlyList<Agent>> ListAgentsAsync(bool available = false, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<string>(new CommandDefinition(
            available ? "SELECT data FROM sp_agents WHERE active = 1 AND on_shift = 1 ORDER BY id" : "SELECT data FROM sp_agents ORDER BY id",
            cancellationToken: cancellationToken));
        return rows.Select(r => JsonSerializer.Deserialize<Agent>(r, TicketJson.Options)!).ToList();
    }

    /// <summary>Open tickets (neither resolved nor closed) assigned to each of <paramref name="agentIds"/>, from the read model.</summary>
    public async Task<IReadOnlyDictionary<string, long>> OpenTicketCountsAsync(IReadOnlyList<string> agentIds, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string AgentId, long Open)>(new CommandDefinition(
            $"""
            SELECT agent_id, count(*) FROM sp_tickets
            WHERE agent_id {database.InList("ids")}
              AND status NOT IN ('resolved', 'closed')
            GROUP BY agent_id
            """,
            new { ids = agentIds.ToArray() },
            cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.AgentId, r => r.Open, StringComparer.Ordinal);
    }

    /// <summary>Takes the next turn of <paramref name="ruleName"/>'s rotation (1, 2, 3...), durably and atomically across silos.</summary>
    public async Task<long> NextTurnAsync(string ruleName, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            INSERT INTO sp_routing_rotation (rule_name, turns, updated_at_ms) VALUES (@rule, 1, @now)
            ON CONFLICT (rule_name) DO UPDATE SET turns = sp_routing_rotation.turns + 1, updated_at_ms = excluded.updated_at_ms
            RETURNING turns
            """,
            new { rule = ruleName, now = Now },
            cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<T>> GetRulesAsync<T>(string set, CancellationToken cancellationToken = default)
    {
        var token = await grains.GetGrain<IChangeTokenGrain>("routing/" + set).Token();
        if (cache.TryGetValue(set, out var cached) && cached.Token == token && cached.Rules is IReadOnlyList<T> rules
            && clock.GetElapsedTime(cached.ReadAt) < CacheBackstop)
        {
            return rules;
        }

        var readAt = clock.GetTimestamp();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var data = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT data FROM sp_routing_rule_sets WHERE name = @set", new { set }, cancellationToken: cancellationToken));
        IReadOnlyList<T> read = data is null ? [] : JsonSerializer.Deserialize<List<T>>(data, TicketJson.Options)!.AsReadOnly();
        cache[set] = (token, readAt, read);
        return read;
    }

    public async Task PutRulesAsync<T>(string set, IReadOnlyList<T> rules, CancellationToken cancellationToken = default)
    {
        await using (var connection = await database.OpenConnectionAsync(cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO sp_routing_rule_sets (name, updated_at_ms, data) VALUES (@set, @now, @data)
                ON CONFLICT (name) DO UPDATE SET updated_at_ms = excluded.updated_at_ms, data = excluded.data
                """,
                new { set, now = Now, data = JsonSerializer.Serialize(rules, TicketJson.Options) },
                cancellationToken: cancellationToken));
        }

        // After the write: a reader that sees the new token reads the new rules.
        await grains.GetGrain<IChangeTokenGrain>("routing/" + set).Changed();
    }

    public async Task PutVendorAsync(Vendor vendor, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_vendors (id, name, contact_email, updated_at_ms, data) VALUES (@id, @name, @email, @now, @data)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, contact_email = excluded.contact_email,
                updated_at_ms = excluded.updated_at_ms, data = excluded.data
            """,
            new { id = vendor.Id, name = vendor.Name, email = vendor.ContactEmail, now = Now, data = JsonSerializer.Serialize(vendor, TicketJson.Options) },
            cancellationToken: cancellationToken));
    }

    public async Task<Vendor?> GetVendorAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var data = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT data FROM sp_vendors WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return data is null ? null : JsonSerializer.Deserialize<Vendor>(data, TicketJson.Options);
    }

    public async Task<IReadOnlyList<Vendor>> ListVendorsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<string>(new CommandDefinition("SELECT data FROM sp_vendors ORDER BY id", cancellationToken: cancellationToken));
        return rows.Select(r => JsonSerializer.Deserialize<Vendor>(r, TicketJson.Options)!).ToList();
    }

    /// <summary>Records <paramref name="message"/> as to be sent, inside the escalating ticket's transaction (a retry adds it once).</summary>
    public static Task EnqueueAsync(DbConnection connection, DbTransaction transaction, VendorMessage message) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sp_vendor_outbox (id, ticket_id, vendor_id, recipient, subject, body, status, created_at_ms)
            VALUES (@Id, @TicketId, @VendorId, @Recipient, @Subject, @Body, @Status, @created_at_ms)
            ON CONFLICT (id) DO NOTHING
            """,
            new { message.Id, message.TicketId, message.VendorId, message.Recipient, message.Subject, message.Body, message.Status, created_at_ms = message.CreatedAt.ToUnixTimeMilliseconds() },
            transaction));

    public async Task<IReadOnlyList<VendorMessage>> OutboxAsync(long? ticketId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<OutboxRow>(new CommandDefinition(
            $"""
            SELECT id, ticket_id, vendor_id, recipient, subject, body, status, created_at_ms FROM sp_vendor_outbox
            {(ticketId is null ? "" : "WHERE ticket_id = @ticketId")} ORDER BY created_at_ms, id
            """,
            new { ticketId },
            cancellationToken: cancellationToken));
        return rows.Select(r => new VendorMessage(r.Id, r.Ticket_Id, r.Vendor_Id, r.Recipient, r.Subject, r.Body, r.Status,
            DateTimeOffset.FromUnixTimeMilliseconds(r.Created_At_Ms))).ToList();
    }

    // Settable properties: Dapper converts int/bigint per back-end only for properties.
    private sealed class OutboxRow
    {
        public string Id { get; set; } = "";
        public long Ticket_Id { get; set; }
        public string Vendor_Id { get; set; } = "";
        public string Recipient { get; set; } = "";
        public string Subject { get; set; } = "";
        public string Body { get; set; } = "";
        public string Status { get; set; } = "";
        public long Created_At_Ms { get; set; }
    }
}
