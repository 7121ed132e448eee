using Dapper;
using Orleans.Serialization;
using SupportPlatform.Phone.Contracts;
using SupportPlatform.Storage.Contracts;

namespace SupportPlatform.Phone.Persistence;

/// <summary>A call's full state, stored in its call-log row.</summary>
[GenerateSerializer, Alias("sp.phone.call-state")]
internal sealed record CallState
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Provider { get; init; }
    [Id(2)] public string From { get; init; } = "";
    [Id(3)] public string To { get; init; } = "";
    [Id(4)] public string? AccountId { get; init; }
    [Id(5)] public string? ContactId { get; init; }
    [Id(6)] public bool Matched { get; init; }
    [Id(7)] public required DateTimeOffset StartedAt { get; init; }
    [Id(8)] public DateTimeOffset? AnsweredAt { get; init; }
    [Id(9)] public DateTimeOffset? EndedAt { get; init; }
    [Id(10)] public TimeSpan? TalkDuration { get; init; }
    [Id(11)] public string? AgentNumber { get; init; }
    [Id(12)] public string? AgentId { get; init; }
    [Id(13)] public string? AgentName { get; init; }
    [Id(14)] public bool NotAnswered { get; init; }
    [Id(15)] public bool HasVoicemail { get; init; }
    [Id(16)] public DateTimeOffset? VoicemailAt { get; init; }
    [Id(17)] public string? RecordingId { get; init; }
    [Id(18)] public string? RecordingUrl { get; init; }
    [Id(19)] public TimeSpan? RecordingDuration { get; init; }
    [Id(20)] public string? Transcription { get; init; }
    [Id(21)] public string? FinalStatus { get; init; }
    [Id(22)] public long? TicketId { get; init; }

    /// <summary>A ticket number reserved before creating the ticket, so a retry after a crash creates the same one.</summary>
    [Id(23)] public long? PendingTicketId { get; init; }
    [Id(24)] public bool CallCommented { get; init; }
    [Id(25)] public int? CountedMinutes { get; init; }
    [Id(26)] public bool TranscriptionAdded { get; init; }
    [Id(27)] public bool Announced { get; init; }
    [Id(28)] public IReadOnlyList<string> AppliedEvents { get; init; } = [];
    [Id(29)] public string? Notes { get; init; }
    [Id(30)] public bool Manual { get; init; }

    public CallOutcome Outcome =>
        TalkDuration is not null || AnsweredAt is not null ? CallOutcome.Answered
        : HasVoicemail ? CallOutcome.Voicemail
        : NotAnswered || EndedAt is not null ? CallOutcome.Missed
        : CallOutcome.Ringing;

    /// <summary>Whether something the facts call for is not done yet (see the call grain).</summary>
    public bool Pending =>
        AccountId is not null
        && ((TalkDuration is not null && (TicketId is null || !CallCommented || CountedMinutes is null))
            || (HasVoicemail && TalkDuration is null && TicketId is null)
            || (HasVoicemail && TicketId is not null && Transcription is not null && !TranscriptionAdded));

    public CallView View() => new()
    {
        Id = Id,
        Provider = Provider,
        From = From,
        To = To,
        AccountId = AccountId,
        ContactId = ContactId,
        Triage = AccountId is null,
        AgentId = AgentId,
        AgentName = AgentName,
        StartedAt = StartedAt,
        AnsweredAt = AnsweredAt,
        EndedAt = EndedAt,
        TalkSeconds = TalkDuration is { } talk ? (long)talk.TotalSeconds : null,
        Outcome = Outcome,
        RecordingUrl = RecordingUrl,
        Transcription = Transcription,
        TicketId = TicketId,
        CountedMinutes = CountedMinutes,
        Notes = Notes,
    };
}

/// <summary>A staff member's phone for routing.</summary>
internal sealed record PhoneAgent(string UserId, string Name, string Number, bool OnDuty, int RingOrder);

/// <summary>The call log (<c>sp_calls</c>, <c>sp_call_events</c>) and staff phone numbers (<c>sp_phone_agents</c>).</summary>
internal sealed class CallStore(IDatabase database, Serializer<CallState> serializer)
{
    public async Task<(CallState State, long Version)?> LoadAsync(string id)
    {
        await using var connection = await database.OpenConnectionAsync();
        var row = await connection.QuerySingleOrDefaultAsync<(byte[] State, long Version)>(
            "SELECT state, version FROM sp_calls WHERE id = @id", new { id });
        return row.State is null ? null : (serializer.Deserialize(row.State)!, row.Version);
    }

    /// <summary>Stores the call if its version is still <paramref name="expected"/> (0: new), with the event that changed it.</summary>
    public async Task<bool> SaveAsync(CallState state, long expected, CallFact? fact, DateTimeOffset now)
    {
        await using var connection = await database.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var row = new
        {
            id = state.Id,
            provider = state.Provider,
            account = state.AccountId,
            contact = state.ContactId,
            agent = state.AgentId,
            from = state.From,
            to = state.To,
            started = state.StartedAt.ToUnixTimeMilliseconds(),
            answered = state.AnsweredAt?.ToUnixTimeMilliseconds(),
            ended = state.EndedAt?.ToUnixTimeMilliseconds(),
            talk = state.TalkDuration is { } talk ? (long?)talk.TotalSeconds : null,
            outcome = state.Outcome.ToString().ToLowerInvariant(),
            recording = state.RecordingUrl,
            ticket = state.TicketId,
            triage = state.AccountId is null ? 1 : 0,
            pending = state.Pending ? 1 : 0,
            now = now.ToUnixTimeMilliseconds(),
            version = expected + 1,
            expected,
            state = serializer.SerializeToArray(state),
        };
        var changed = await connection.ExecuteAsync(
            expected == 0
                ? """
                  INSERT INTO sp_calls (id, provider, account_id, contact_id, agent_id, from_number, to_number, started_at_ms, answered_at_ms, ended_at_ms,
                                        talk_seconds, outcome, recording_url, ticket_id, triage, pending, updated_at_ms, version, state)
                  VALUES (@id, @provider, @account, @contact, @agent, @from, @to, @started, @answered, @ended, @talk, @outcome, @recording, @ticket, @triage, @pending, @now, @version, @state)
                  ON CONFLICT (id) DO NOTHING
                  """
                : """
                  UPDATE sp_calls SET account_id = @account, contact_id = @contact, agent_id = @agent, from_number = @from, to_number = @to,
                    started_at_ms = @started, answered_at_ms = @answered, ended_at_ms = @ended, talk_seconds = @talk, outcome = @outcome,
                    recording_url = @recording, ticket_id = @ticket, triage = @triage, pending = @pending, updated_at_ms = @now, version = @version, state = @state
                  WHERE id = @id AND version = @expected
                  """,
            row,
            transaction);
        if (changed != 1)
        {
            return false;
        }

        if (fact is not null)
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO sp_call_events (call_id, event_id, kind, at_ms, received_at_ms) VALUES (@id, @eventId, @kind, @at, @now)
                ON CONFLICT (call_id, event_id) DO NOTHING
                """,
                new { id = state.Id, eventId = fact.EventId, kind = fact.Kind.ToString().ToLowerInvariant(), at = fact.At.ToUnixTimeMilliseconds(), now = row.now },
                transaction);
        }

        await transaction.CommitAsync();
        return true;
    }

    public async Task<IReadOnlyList<CallView>> ListAsync(string? accountId, bool? triage, int limit)
    {
        await using var connection = await database.OpenConnectionAsync();
        var rows = await connection.QueryAsync<byte[]>(
            """
            SELECT state FROM sp_calls
            WHERE (@accountId IS NULL OR account_id = @accountId) AND (@triage IS NULL OR triage = @triage)
            ORDER BY started_at_ms DESC, id LIMIT @limit
            """,
            new { accountId, triage = triage is null ? (int?)null : triage.Value ? 1 : 0, limit });
        return [.. rows.Select(r => serializer.Deserialize(r)!.View())];
    }

    /// <summary>Calls with follow-up work not done, untouched since <paramref name="before"/>.</summary>
    public async Task<IReadOnlyList<string>> PendingAsync(DateTimeOffset before, int limit)
    {
        await using var connection = await database.OpenConnectionAsync();
        return [.. await connection.QueryAsync<string>(
            "SELECT id FROM sp_calls WHERE pending = 1 AND updated_at_ms < @before ORDER BY updated_at_ms LIMIT @limit",
            new { before = before.ToUnixTimeMilliseconds(), limit })];
    }

    public async Task<IReadOnlyList<PhoneAgent>> AgentsAsync()
    {
        await using var connection = await database.OpenConnectionAsync();
        var rows = await connection.QueryAsync<(string UserId, string Name, string Number, long OnDuty, long RingOrder)>(
            "SELECT user_id, name, number, on_duty, ring_order FROM sp_phone_agents ORDER BY ring_order, user_id");
        return [.. rows.Select(r => new PhoneAgent(r.UserId, r.Name, r.Number, r.OnDuty != 0, (int)r.RingOrder))];
    }

    public async Task SaveAgentAsync(PhoneAgent agent, DateTimeOffset now)
    {
        await using var connection = await database.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO sp_phone_agents (user_id, name, number, on_duty, ring_order, updated_at_ms) VALUES (@UserId, @Name, @Number, @duty, @RingOrder, @now)
            ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, number = excluded.number, on_duty = excluded.on_duty, ring_order = excluded.ring_order, updated_at_ms = excluded.updated_at_ms
            """,
            new { agent.UserId, agent.Name, agent.Number, duty = agent.OnDuty ? 1 : 0, agent.RingOrder, now = now.ToUnixTimeMilliseconds() });
    }

    public async Task<bool> DeleteAgentAsync(string userId)
    {
        await using var connection = await database.OpenConnectionAsync();
        return await connection.ExecuteAsync("DELETE FROM sp_phone_agents WHERE user_id = @userId", new { userId }) == 1;
    }
}
