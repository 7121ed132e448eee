using System.Collections.Concurrent;
using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Sla.Contracts;
using SupportPlatform.Storage.Contracts;
using SupportPlatform.Core;

namespace SupportPlatform.Reports.Domain;

/// <summary>
/// Business time of tickets, from their creation to their first response or resolution, on the account's calendar (or
/// around the clock for priorities whose SLA runs 24/7), with the figures of closed periods kept in
/// <c>sp_report_business_times</c> (migration 0023): a monthly report measures every ticket of the month and of its
/// 12-month trend, and those figures no longer change once measured, unless the ticket or the calendar does. A kept
/// figure is used only while its ticket's priority and instants and the calendar's <see cref="Key"/> are the ones it was
/// computed from (the read joins on them), so a ticket changed after its period closed is measured again and its row
/// replaced. One instance per report build; measuring is thread-safe (the compiled calendar is).
/// </summary>
internal sealed class BusinessTimes(ContractTerms contract)
{
    public const string FirstResponse = "first-response";
    public const string Resolution = "resolution";

    private readonly ConcurrentQueue<Measured> fresh = new();

    /// <summary>
    /// Fingerprint of what the figures depend on besides the ticket: the calendar (zone, hours, holidays), which priorities
    /// run around the clock, and the tz database version (a rule change can move local hours).
    /// </summary>
    public string Key { get; } = Fingerprint(contract);

    /// <summary>The business time from <paramref name="row"/>'s creation to <paramref name="endMs"/>: <paramref name="kept"/> (ticks) when the read found one.</summary>
    public TimeSpan Measure(Data.TicketRow row, string measure, long endMs, long? kept)
    {
        if (kept is { } ticks)
        {
            return TimeSpan.FromTicks(ticks);
        }

        var terms = contract.SlaPolicy.For((Priority)row.Priority);
        var calendar = terms.RunsAroundTheClock ? BusinessCalendar.AlwaysOpen : contract.Calendar;
        var time = calendar.BusinessTimeBetween(DateTimeOffset.FromUnixTimeMilliseconds(row.Created_At_Ms), DateTimeOffset.FromUnixTimeMilliseconds(endMs));
        fresh.Enqueue(new Measured(row.Id, measure, row.Priority, row.Created_At_Ms, endMs, time.Ticks));
        return time;
    }

    /// <summary>How many figures were computed rather than read.</summary>
    public int Computed => fresh.Count;

    /// <summary>
    /// Keeps the figures computed for tickets whose instants are all before <paramref name="closedBefore"/> (the end of a
    /// period that is over): upserted by ticket and measure, replacing a row computed from older values.
    /// </summary>
    public async Task SaveAsync(DbConnection connection, DatabaseProvider provider, long closedBefore, CancellationToken ct)
    {
        var rows = fresh.Where(m => m.ToMs < closedBefore).DistinctBy(m => (m.TicketId, m.Measure)).ToList();
        fresh.Clear();
        if (rows.Count == 0)
        {
            return;
        }

        const string Upsert = """
            ON CONFLICT (ticket_id, measure) DO UPDATE SET calendar = excluded.calendar, priority = excluded.priority,
                from_ms = excluded.from_ms, to_ms = excluded.to_ms, business_ticks = excluded.business_ticks
            """;
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (provider == DatabaseProvider.PostgreSql)
        {
            // One statement per chunk over arrays (unnest): a cold month of 100,000 tickets writes 200,000 rows.
            foreach (var chunk in rows.Chunk(50_000))
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    $"""
                    INSERT INTO sp_report_business_times (ticket_id, measure, calendar, priority, from_ms, to_ms, business_ticks)
                    SELECT u.ticket_id, u.measure, @calendar, u.priority, u.from_ms, u.to_ms, u.business_ticks
                    FROM unnest(@ids, @measures, @priorities, @froms, @tos, @ticks) AS u(ticket_id, measure, priority, from_ms, to_ms, business_ticks)
                    {Upsert}
                    """,
                    new
                    {
                        calendar = Key,
                        ids = chunk.Select(m => m.TicketId).ToArray(),
                        measures = chunk.Select(m => m.Measure).ToArray(),
                        priorities = chunk.Select(m => m.Priority).ToArray(),
                        froms = chunk.Select(m => m.FromMs).ToArray(),
                        tos = chunk.Select(m => m.ToMs).ToArray(),
                        ticks = chunk.Select(m => m.Ticks).ToArray(),
                    },
                    tx,
                    cancellationToken: ct));
            }
        }
        else
        {
            // SQLite is in-process: one prepared statement per row inside the transaction is as fast as it gets.
            await connection.ExecuteAsync(new CommandDefinition(
                $"""
                INSERT INTO sp_report_business_times (ticket_id, measure, calendar, priority, from_ms, to_ms, business_ticks)
                VALUES (@TicketId, @Measure, @Calendar, @Priority, @FromMs, @ToMs, @Ticks)
                {Upsert}
                """,
                rows.Select(m => new { m.TicketId, m.Measure, Calendar = Key, m.Priority, m.FromMs, m.ToMs, m.Ticks }),
                tx,
                cancellationToken: ct));
        }

        await tx.CommitAsync(ct);
    }

    private static string Fingerprint(ContractTerms contract)
    {
        var aroundTheClock = Enum.GetValues<Priority>().Where(p => contract.SlaPolicy.For(p).RunsAroundTheClock).Select(p => p.ToString());
        var text = JsonSerializer.Serialize(new
        {
            calendar = contract.Calendar,
            aroundTheClock,
            tzdb = NodaTime.DateTimeZoneProviders.Tzdb.VersionId,
        });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
    }

    private sealed record Measured(long TicketId, string Measure, int Priority, long FromMs, long ToMs, long Ticks);
}
