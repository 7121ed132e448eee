using System.Globalization;
using Microsoft.Extensions.Logging;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.LiveQueue.Contracts;
using SupportPlatform.Phone.Contracts;
using SupportPlatform.Phone.Persistence;
using SupportPlatform.Phone.Routing;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Phone.Grains;

/// <summary>
/// One call. Every event is merged as set-once facts (the first answer time, the first talk duration, the first
/// recording...), so repeated and reordered callbacks converge on the same call. After each change the grain does
/// what the facts call for, each step once and recorded in the call's state before the next: announce the call,
/// open or pick the ticket, note the call on it (a staff response), count the talk time, open the voicemail ticket,
/// add the transcription. A step that fails is retried by the next event or request for the call.
/// </summary>
internal sealed class CallGrain(
    CallStore store,
    CallRouter router,
    ITicketNumbers numbers,
    IEnumerable<ILiveQueuePublisher> live,
    TimeProvider clock,
    ILogger<CallGrain> logger) : Grain, ICallGrain
{
    private readonly ILiveQueuePublisher? publisher = live.FirstOrDefault();
    private CallState? state;
    private long version;

    private string Id => this.GetPrimaryKeyString()["c-".Length..];

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (await store.LoadAsync(Id) is { } row)
        {
            (state, version) = row;
        }
    }

    public Task<CallView?> Get() => Task.FromResult(state?.View());

    public async Task<CallView?> Resume()
    {
        if (state is not null)
        {
            await CompleteAsync();
        }

        return state?.View();
    }

    public async Task<CallFactResult> Apply(CallFact fact)
    {
        if (state is not null && state.AppliedEvents.Contains(fact.EventId))
        {
            await CompleteAsync();
            return new CallFactResult(true, state.TicketId, state.AccountId);
        }

        var next = Merge(state ?? new CallState { Id = Id, Provider = fact.Provider, StartedAt = fact.At }, fact);
        if (!next.Matched && (next.From.Length > 0 || next.To.Length > 0))
        {
            var match = await router.MatchAsync(next.From, next.To, CancellationToken.None);
            next = next with { AccountId = match.AccountId, ContactId = match.ContactId, Matched = true };
        }

        if (next.AgentNumber is { } agentNumber && next.AgentId is null
            && (await store.AgentsAsync()).FirstOrDefault(a => a.Number == agentNumber) is { } agent)
        {
            next = next with { AgentId = agent.UserId, AgentName = agent.Name };
        }

        await SaveAsync(next with { AppliedEvents = [.. next.AppliedEvents, fact.EventId] }, fact);
        await CompleteAsync();
        return new CallFactResult(false, state!.TicketId, state.AccountId);
    }

    public async Task<CallView> LogManual(ManualCall call)
    {
        if (state is not null)
        {
            return state.View();
        }

        var now = clock.GetUtcNow();
        Require(call.Duration > TimeSpan.Zero && call.Duration <= TimeSpan.FromHours(24), "invalid-duration", "A logged call lasts more than 0 and at most 24 hours.");
        Require(call.StartedAt <= now.AddMinutes(5), "invalid-started-at", "startedAt is in the future; give the time the call started.");
        await RequireAccountAsync(call.AccountId);
        if (call.TicketId is { } ticketId)
        {
            await RequireTicketAsync(ticketId, call.AccountId);
        }

        await SaveAsync(
            new CallState
            {
                Id = Id,
                Provider = "manual",
                From = call.Number,
                AccountId = call.AccountId,
                ContactId = call.ContactId,
                Matched = true,
                StartedAt = call.StartedAt,
                AnsweredAt = call.StartedAt,
                TalkDuration = call.Duration,
                EndedAt = call.StartedAt + call.Duration,
                AgentId = call.AgentId,
                AgentName = call.AgentName,
                Notes = call.Notes,
                TicketId = call.TicketId,
                Announced = true,
                Manual = true,
            },
            null);
        await CompleteAsync();
        return state!.View();
    }

    public async Task<CallView> AttachToTicket(long ticketId, string agentId, string agentName)
    {
        var current = state ?? throw new PhoneRuleException("not-found", $"Call {Id} does not exist.");
        var ticket = await RequireTicketAsync(ticketId, current.AccountId);
        if (current.TicketId != ticketId)
        {
            await SaveAsync(
                current with
                {
                    TicketId = ticketId,
                    CallCommented = false,
                    AccountId = current.AccountId ?? ticket.AccountId,
                    AgentId = current.AgentId ?? agentId,
                    AgentName = current.AgentName ?? agentName,
                },
                null);
        }

        await CompleteAsync();
        return state!.View();
    }

    public async Task<CallView> AssignAccount(string accountId, string? contactId)
    {
        var current = state ?? throw new PhoneRuleException("not-found", $"Call {Id} does not exist.");
        Require(current.AccountId is null || current.AccountId == accountId, "account-set",
            $"Call {Id} already belongs to account '{current.AccountId}'.");
        await RequireAccountAsync(accountId);
        if (current.AccountId is null)
        {
            await SaveAsync(current with { AccountId = accountId, ContactId = contactId, Matched = true }, null);
        }

        await CompleteAsync();
        return state!.View();
    }

    private static CallState Merge(CallState call, CallFact fact)
    {
        var next = call with
        {
            From = call.From.Length > 0 ? call.From : fact.From ?? "",
            To = call.To.Length > 0 ? call.To : fact.To ?? "",
            StartedAt = fact.At < call.StartedAt ? fact.At : call.StartedAt,
        };
        return fact.Kind switch
        {
            CallFactKind.Answered => next with { AnsweredAt = next.AnsweredAt ?? fact.At, AgentNumber = next.AgentNumber ?? fact.AgentNumber },
            CallFactKind.Connected when fact.TalkDuration is { } talk => next with
            {
                TalkDuration = next.TalkDuration ?? talk,
                AgentNumber = next.AgentNumber ?? fact.AgentNumber,
                AnsweredAt = next.AnsweredAt ?? fact.At - talk,
            },
            CallFactKind.NotAnswered => next with { NotAnswered = true },
            CallFactKind.Voicemail => next with
            {
                HasVoicemail = true,
                VoicemailAt = next.VoicemailAt ?? fact.At,
                RecordingId = next.RecordingId ?? fact.RecordingId,
                RecordingUrl = next.RecordingUrl ?? fact.RecordingUrl,
                RecordingDuration = next.RecordingDuration ?? fact.RecordingDuration,
            },
            CallFactKind.Transcription when !string.IsNullOrWhiteSpace(fact.Transcription) => next with { Transcription = next.Transcription ?? fact.Transcription },
            CallFactKind.Ended => next with { EndedAt = next.EndedAt ?? fact.At, FinalStatus = next.FinalStatus ?? fact.Status },
            _ => next,
        };
    }

    /// <summary>Does every step the call's facts call for and that is not done yet, recording each before the next.</summary>
    private async Task CompleteAsync()
    {
        var call = state!;
        if (!call.Announced)
        {
            publisher?.Publish(LiveChangeKind.Call, null, $"Incoming call from {Caller(call)} ({call.AccountId ?? "unknown caller: triage"})", call.StartedAt);
            await SaveAsync(call with { Announced = true }, null);
        }

        if (state!.AccountId is null)
        {
            return;
        }

        if (state.TalkDuration is not null)
        {
            await EnsureTicketAsync(TicketChannel.Phone);
            if (!state.CallCommented)
            {
                await Ticket(state.TicketId!.Value).AddComment(new AddComment
                {
                    Actor = AgentActor(state),
                    Visibility = CommentVisibility.Internal,
                    Channel = TicketChannel.Phone,
                    CommentId = "call-" + state.Id,
                    Body = CallNote(state),
                });
                await SaveAsync(state with { CallCommented = true }, null);
            }

            if (state.CountedMinutes is null)
            {
                var result = await GrainFactory.GetGrain<IClientAccountGrain>(AccountKeys.Grain(state.AccountId)).RecordUsage(new RecordUsage
                {
                    UsageId = "call:" + state.Id,
                    Kind = UsageKind.Phone,
                    StartedAt = state.AnsweredAt ?? state.StartedAt,
                    Duration = state.TalkDuration.Value,
                    TicketId = state.TicketId,
                    Description = $"Phone call with {Caller(state)} on {(state.AnsweredAt ?? state.StartedAt).ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)}"
                        + (state.AgentName is null ? "" : $" ({state.AgentName})"),
                });
                await SaveAsync(state with { CountedMinutes = result.CountedMinutes }, null);
            }
        }
        else if (state.HasVoicemail && state.TicketId is null)
        {
            var ticket = await EnsureTicketAsync(TicketChannel.Voicemail);
            publisher?.Publish(LiveChangeKind.Voicemail, LiveTicket.From(ticket), $"Voicemail from {Caller(state)} ({state.AccountId})", state.VoicemailAt);
        }

        if (state.TicketId is { } ticketId && state.HasVoicemail && state.Transcription is { } text && !state.TranscriptionAdded)
        {
            await Ticket(ticketId).AddComment(new AddComment
            {
                Actor = Actor.System("voicemail transcription"),
                Visibility = CommentVisibility.Internal,
                Channel = TicketChannel.Voicemail,
                CommentId = "transcription-" + state.Id,
                Body = "Transcription of the voicemail:\n\n" + text,
            });
            await SaveAsync(state with { TranscriptionAdded = true }, null);
        }
    }

    /// <summary>The call's ticket: the one picked, or a new one whose number is reserved in the call's state first.</summary>
    private async Task<TicketView> EnsureTicketAsync(TicketChannel channel)
    {
        if (state!.TicketId is { } existing)
        {
            return await Ticket(existing).Get() ?? throw new PhoneRuleException("not-found", $"Ticket {existing} of call {Id} does not exist.");
        }

        if (state.PendingTicketId is null)
        {
            await SaveAsync(state with { PendingTicketId = await numbers.AllocateAsync(CancellationToken.None) }, null);
        }

        var account = await GrainFactory.GetGrain<IClientAccountGrain>(AccountKeys.Grain(state.AccountId!)).Get()
            ?? throw new PhoneRuleException("invalid-account", $"Account '{state.AccountId}' of call {Id} does not exist.");
        var voicemail = channel == TicketChannel.Voicemail;
        var description = voicemail
            ? $"Voicemail from {Caller(state)}" + (state.RecordingDuration is { } length ? $" ({(int)length.TotalSeconds} s)" : "") + ".\n"
              + (state.RecordingUrl is null ? "" : $"Recording: {state.RecordingUrl}\n")
              + (state.Transcription is null ? "The transcription follows when the provider sends it." : "\nTranscription:\n" + state.Transcription)
            : $"Phone call from {Caller(state)}.";
        var ticket = await Ticket(state.PendingTicketId!.Value).Create(new CreateTicket
        {
            AccountId = state.AccountId!,
            RequesterId = state.ContactId ?? "phone:" + (state.From.Length > 0 ? state.From : "withheld"),
            Channel = channel,
            Priority = voicemail ? account.Contract.Phone.VoicemailPriority : SupportPlatform.Core.Priority.Normal,
            Subject = (voicemail ? "Voicemail from " : "Phone call from ") + Caller(state),
            Description = description,
            ExternalReferences = state.RecordingUrl is null && state.RecordingId is null
                ? [new ExternalReference(state.Provider + "-call", state.Id, null)]
                : [new ExternalReference(state.Provider + "-call", state.Id, null), new ExternalReference(state.Provider + "-recording", state.RecordingId ?? state.Id, state.RecordingUrl)],
            ReceivedAt = voicemail ? state.VoicemailAt ?? state.StartedAt : state.StartedAt,
            Actor = voicemail ? Actor.System("voicemail") : AgentActor(state),
        });
        await SaveAsync(state with { TicketId = ticket.Id, PendingTicketId = null, TranscriptionAdded = voicemail && state.Transcription is not null }, null);
        return ticket;
    }

    private static string Caller(CallState call) => call.From.Length > 0 ? call.From : "a withheld number";

    private static Actor AgentActor(CallState call) =>
        call.AgentId is { } agent ? new Actor(ActorKind.Staff, agent, call.AgentName ?? agent) : Actor.System("phone");

    private static string CallNote(CallState call)
    {
        var talk = call.TalkDuration ?? TimeSpan.Zero;
        var who = call.AgentName ?? call.AgentNumber ?? "staff";
        var note = $"{(call.Manual ? "Call logged by" : "Phone call answered by")} {who}: with {Caller(call)}, "
            + $"{(call.AnsweredAt ?? call.StartedAt).ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)}, "
            + $"{(int)talk.TotalMinutes}:{talk.Seconds:00} min.";
        return call.Notes is { Length: > 0 } notes ? note + "\n\n" + notes : note;
    }

    private ITicketGrain Ticket(long id) => GrainFactory.GetGrain<ITicketGrain>(id);

    private async Task RequireAccountAsync(string accountId)
    {
        Require(AccountKeys.IsValidId(accountId), "invalid-account", "accountId must be an account id such as 'acme-corp'.");
        Require(await GrainFactory.GetGrain<IClientAccountGrain>(AccountKeys.Grain(accountId)).Get() is not null,
            "invalid-account", $"Account '{accountId}' does not exist.");
    }

    private async Task<TicketView> RequireTicketAsync(long ticketId, string? accountId)
    {
        var ticket = await Ticket(ticketId).Get() ?? throw new PhoneRuleException("invalid-ticket", $"Ticket {ticketId} does not exist.");
        Require(accountId is null || ticket.AccountId == accountId, "invalid-ticket",
            $"Ticket {ticketId} belongs to account '{ticket.AccountId}', not to the call's account '{accountId}'.");
        return ticket;
    }

    private static void Require(bool condition, string code, string message)
    {
        if (!condition)
        {
            throw new PhoneRuleException(code, message);
        }
    }

    private async Task SaveAsync(CallState next, CallFact? fact)
    {
        if (!await store.SaveAsync(next, version, fact, clock.GetUtcNow()))
        {
            logger.LogWarning("Call {Call} changed underneath its grain; reloading", Id);
            if (await store.LoadAsync(Id) is { } row)
            {
                (state, version) = row;
            }

            throw new PhoneRuleException("conflict", $"Call {Id} was changed at the same time; retry.");
        }

        state = next;
        version++;
    }
}
