using System.Collections.Immutable;
using System.Data.Common;
using Microsoft.Extensions.Logging;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Core;
using SupportPlatform.Core.Mail;
using SupportPlatform.Scheduling.Contracts;
using SupportPlatform.Sla.Contracts;
using SupportPlatform.Tickets.Contracts;
using SupportPlatform.Tickets.Persistence;
using SupportPlatform.Tickets.Routing;

namespace SupportPlatform.Tickets.Grains;

/// <summary>
/// One ticket. State lives in the ticket's read-model row (see <see cref="TicketStore"/>), not in Orleans storage,
/// so that the row, the state, the new events and the ticket's deadlines (SLA warnings and breaches, the quiet-period
/// close) are written in one transaction.
/// </summary>
internal sealed class TicketGrain(
    TicketStore store,
    TicketWriter writer,
    IDeadlineScheduler scheduler,
    TimeProvider clock,
    IEnumerable<ITicketObserver> observers,
    IEnumerable<IOutboundMail> mail,
    Router router,
    RoutingStore routing,
    ILogger<TicketGrain> logger) : Grain, ITicketGrain, IDeadlineTarget, IIncomingGrainCallFilter
{
    private const string CloseKind = "ticket.close";
    private const string SlaKind = "ticket.sla";

    private const int MaxSubject = 200;
    private const int MaxText = 100_000;
    private const int MaxTags = 20;
    private const int MaxTag = 50;

    private readonly IOutboundMail? mailOutbox = mail.FirstOrDefault();
    private TicketState? state;
    private long version;

    private long Id => this.GetPrimaryKeyLong();

    private bool loaded;

    /// <summary>
    /// Loads the ticket before the first call that needs it. <see cref="Create"/> does not: a new ticket's number was
    /// just allocated, so there is nothing to read, and the insert itself detects a ticket that exists already (a
    /// retried create), which is then loaded and returned. This saves a database round trip per new ticket.
    /// </summary>
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (!loaded && context.InterfaceMethod?.Name != nameof(Create))
        {
            await LoadAsync();
        }

        await context.Invoke();
    }

    private async Task LoadAsync()
    {
        if (await store.LoadAsync(Id) is { } row)
        {
            (state, version) = row;
        }

        loaded = true;
    }

    public async Task<TicketView> Create(CreateTicket command)
    {
        if (state is not null)
        {
            return View();
        }

        Require(AccountKeys.IsValidId(command.AccountId?.Trim()), "invalid-account", "A ticket needs the id of the client account it belongs to (accountId).");
        var account = await GrainFactory.GetGrain<IClientAccountGrain>(AccountKeys.Grain(command.AccountId!.Trim())).Get()
            ?? throw new TicketRuleException("invalid-account", $"Client account '{command.AccountId}' does not exist; create it first (PUT /api/accounts/{command.AccountId}).");
        Require(!string.IsNullOrWhiteSpace(command.RequesterId), "invalid-requester", "A ticket needs the client user who asked (requesterId).");
        var subject = Subject(command.Subject);
        var tags = Tags(command.Tags);
        Require(command.Description.Length <= MaxText, "invalid-description", $"The description is longer than {MaxText} characters.");
        var now = clock.GetUtcNow();
        var createdAt = command.ReceivedAt ?? now;
        Require(createdAt <= now.AddMinutes(5), "invalid-received-at", "receivedAt is in the future; it must be when the request reached the platform.");

        var created = new TicketState
        {
            Id = Id,
            AccountId = command.AccountId.Trim(),
            RequesterId = command.RequesterId.Trim(),
            Channel = command.Channel,
            Type = Clean(command.Type),
            Priority = command.Priority,
            Status = TicketStatus.New,
            Subject = subject,
            Description = command.Description,
            Tags = tags,
            ExternalReferences = command.ExternalReferences,
            Attachments = command.Attachments,
            CreatedAt = createdAt,
            UpdatedAt = now,
            FollowUpOf = command.FollowUpOf,
            Related = command.FollowUpOf is { } origin ? [origin] : [],
            Sla = SlaState.Create(createdAt, command.Priority, PolicyFor(command.Channel, account.Contract)),
            Calendar = account.Contract.Calendar,
            ReopenWindow = account.Contract.ReopenWindow,
            CloseAfter = account.Contract.CloseAfter,
            ContractVersion = account.Version,
        };
        var events = new List<TicketEvent>
        {
            new TicketCreated
            {
                Actor = command.Actor,
                Channel = command.Channel,
                Priority = command.Priority,
                Subject = subject,
                Type = created.Type,
                FollowUpOf = command.FollowUpOf,
            },
        };

        // Routing rules pick the group and agent; no matching rule leaves the ticket unassigned, with no event (see Router).
        // An opener that names the group (monitoring's security queue) has it in the same commit: no window where the ticket sits elsewhere.
        if (Clean(command.Group) is { } group)
        {
            var pick = await router.PickInGroupAsync(group);
            created = created with { Group = group, AgentId = pick?.AgentId };
            events.Add(new Assigned { Actor = command.Actor, Group = group, AgentId = pick?.AgentId, Reason = Clean(command.GroupReason) ?? pick?.Reason ?? $"opened in {group}" });
        }
        else if (await router.RouteAsync(new RoutingInput(created.AccountId, created.Channel, created.Type, created.Priority, created.Subject, created.Description)) is { } routed)
        {
            created = created with { Group = routed.Group, AgentId = routed.AgentId };
            events.Add(new Assigned { Actor = Actor.System("routing"), Group = routed.Group, AgentId = routed.AgentId, Reason = routed.Reason });
        }

        try
        {
            await Commit(created, events, at: createdAt);
        }
        catch (TicketRuleException conflict) when (conflict.Code == "conflict" && state is not null)
        {
            // The ticket exists already (a retried create whose first attempt was stored): return it unchanged.
        }

        return View();
    }

    /// <summary>A voicemail ticket runs on the contract's voicemail response targets; every other ticket on its SLA policy.</summary>
    private static SlaPolicy PolicyFor(TicketChannel channel, ContractTerms terms) =>
        channel == TicketChannel.Voicemail ? terms.Phone.VoicemailPolicy(terms.SlaPolicy) : terms.SlaPolicy;

    public Task<TicketView?> Get() => Task.FromResult(state is null ? null : View());

    public async Task<IReadOnlyList<TicketHistoryEntry>> GetHistory(bool includeMerged)
    {
        var current = Existing();
        IReadOnlyList<long> ids = includeMerged ? [Id, .. current.MergedFrom] : [Id];
        return await store.ReadEventsAsync(ids);
    }

    public async Task<CommentResult> AddComment(AddComment command)
    {
        var current = Existing();
        NotMerged(current);
        Require(!string.IsNullOrWhiteSpace(command.Body), "body-required", "A comment needs a body.");
        Require(command.Body.Length <= MaxText, "invalid-body", $"The comment is longer than {MaxText} characters.");
        Require(command.Actor.Kind != ActorKind.Client || command.Visibility == CommentVisibility.Public,
            "invalid-visibility", "Client users can only add public replies.");

        var commentId = string.IsNullOrWhiteSpace(command.CommentId) ? Guid.NewGuid().ToString("N") : command.CommentId.Trim();
        if (current.CommentIds.Contains(commentId))
        {
            return new CommentResult(View(), commentId, null);
        }

        var now = clock.GetUtcNow();
        var isClientReply = command.Actor.Kind == ActorKind.Client;
        if (isClientReply && (current.Status == TicketStatus.Closed
            || (current.Status == TicketStatus.Resolved && current.ResolvedAt + current.ReopenWindow < now)))
        {
            return await OpenFollowUp(current, command, commentId);
        }

        var events = new List<TicketEvent>
        {
            new CommentAdded
            {
                Actor = command.Actor,
                CommentId = commentId,
                Visibility = command.Visibility,
                Body = command.Body,
                Attachments = command.Attachments,
                Channel = command.Channel,
            },
        };
        var next = current with { CommentIds = [.. current.CommentIds, commentId] };

        // A staff note on the phone channel records a call with the client: a response, like a public reply.
        if (command.Actor.Kind == ActorKind.Staff && (command.Visibility == CommentVisibility.Public || command.Channel == TicketChannel.Phone))
        {
            next = next with { FirstResponseAt = next.FirstResponseAt ?? now, Sla = next.Sla!.RecordStaffResponse(now, next.Calendar!) };
            if (next.Status == TicketStatus.New)
            {
                next = Move(next, TicketStatus.Open, command.Actor, "first reply", events);
            }
        }
        else if (isClientReply && current.Status is TicketStatus.Resolved or TicketStatus.PendingClient)
        {
            var reason = current.Status == TicketStatus.Resolved ? "reopened by the client's reply" : "the client replied";
            next = Move(next, TicketStatus.Open, command.Actor, reason, events);
        }

        if (isClientReply)
        {
            // A reply owes the client a response (the next-response clock), once the ticket is open again.
            next = next with { Sla = next.Sla!.RecordClientReply(now, next.Calendar!) };
        }

        await Commit(next, events);
        return new CommentResult(View(), commentId, null);
    }

    public async Task<TicketView> ChangeStatus(ChangeStatus command)
    {
        var current = Existing();
        NotMerged(current);
        if (current.Status == command.To)
        {
            return View();
        }

        Require(current.Status != TicketStatus.Closed, "ticket-closed", $"Ticket {Id} is closed; a client reply opens a follow-up ticket instead.");
        Require(command.To != TicketStatus.New, "invalid-status", "A ticket cannot go back to new.");
        Require(command.To != TicketStatus.Resolved || !string.IsNullOrWhiteSpace(command.Note),
            "resolution-note-required", "Resolving a ticket needs a resolution note: say how it was solved.");
        Require(command.To != TicketStatus.Closed || current.Status == TicketStatus.Resolved,
            "resolve-before-closing", "Only a resolved ticket can be closed; resolve it first, with a resolution note.");

        var events = new List<TicketEvent>();
        var next = Move(current, command.To, command.Actor, command.Note, events);
        await Commit(next, events);
        return View();
    }

    public async Task<TicketView> Assign(AssignTicket command)
    {
        var current = Existing();
        NotClosed(current);
        Require(command.Group is not null || command.AgentId is not null, "invalid-assignment", "Name a group, an agent, or both.");
        var group = Clean(command.Group) ?? current.Group;
        var agent = command.AgentId is null ? current.AgentId : Clean(command.AgentId);
        if (group == current.Group && agent == current.AgentId)
        {
            return View();
        }

        var events = new List<TicketEvent>
        {
            new Assigned { Actor = command.Actor, Group = group, AgentId = agent, Reason = Clean(command.Reason) ?? $"assigned by {command.Actor.Name}" },
        };
        await Commit(current with { Group = group, AgentId = agent }, events);
        return View();
    }

    public async Task<TicketView?> ApplyContract(ApplyContract command)
    {
        if (state is null || state.Status == TicketStatus.Closed || state.MergedInto is not null || state.ContractVersion >= command.AccountVersion)
        {
            return state is null ? null : View();
        }

        var current = state;
        var terms = command.Contract;
        var changes = new List<string>();
        var policy = PolicyFor(current.Channel, terms);
        var policyChanged = !TicketJson.Same(current.Sla!.Policy, policy);
        var calendarChanged = !TicketJson.Same(current.Calendar, terms.Calendar);
        if (policyChanged)
        {
            changes.Add("SLA policy");
        }

        if (calendarChanged)
        {
            changes.Add("business calendar");
        }

        if (current.ReopenWindow != terms.ReopenWindow)
        {
            changes.Add($"reopen window {terms.ReopenWindow}");
        }

        if (current.CloseAfter != terms.CloseAfter)
        {
            changes.Add($"close-after {terms.CloseAfter}");
        }

        var next = current with
        {
            ContractVersion = command.AccountVersion,
            Calendar = terms.Calendar,
            ReopenWindow = terms.ReopenWindow,
            CloseAfter = terms.CloseAfter,
            Sla = policyChanged || calendarChanged ? current.Sla!.ChangePolicy(clock.GetUtcNow(), policy, terms.Calendar) : current.Sla,
        };
        if (changes.Count == 0)
        {
            // Only the version moved (e.g. the account was renamed): remember it, without an event.
            await Commit(next, []);
            return View();
        }

        await Commit(next, [new ContractApplied
        {
            Actor = Actor.System("contract"),
            AccountVersion = command.AccountVersion,
            Changes = $"the account's contract changed ({string.Join(", ", changes)}); SLA targets re-based from now",
        }]);
        return View();
    }

    public async Task<TicketView> ChangePriority(ChangePriority command)
    {
        var current = Existing();
        NotClosed(current);
        Require(Enum.IsDefined(command.To), "invalid-priority", "Priority must be critical, high, normal or low.");
        if (current.Priority == command.To)
        {
            return View();
        }

        var events = new List<TicketEvent>
        {
            new PriorityChanged { Actor = command.Actor, From = current.Priority, To = command.To, Reason = Clean(command.Reason) },
        };
        await Commit(current with { Priority = command.To, Sla = current.Sla!.ChangePriority(clock.GetUtcNow(), command.To, current.Calendar!) }, events);
        return View();
    }

    public async Task<TicketView> UpdateDetails(UpdateDetails command)
    {
        var current = Existing();
        NotClosed(current);
        var subject = command.Subject is null ? null : Subject(command.Subject);
        var tags = command.Tags is null ? null : Tags(command.Tags);
        var type = command.Type is null ? null : Clean(command.Type);
        var change = new DetailsChanged
        {
            Actor = command.Actor,
            Subject = subject != current.Subject ? subject : null,
            Type = command.Type is not null && type != current.Type ? type ?? "" : null,
            Tags = tags is not null && !tags.SequenceEqual(current.Tags) ? tags : null,
        };
        if (change.Subject is null && change.Type is null && change.Tags is null)
        {
            return View();
        }

        var next = current with
        {
            Subject = change.Subject ?? current.Subject,
            Type = change.Type is null ? current.Type : Clean(change.Type),
            Tags = change.Tags ?? current.Tags,
        };
        await Commit(next, [change]);
        return View();
    }

    public async Task<TicketView> AddExternalReference(ExternalReference reference, Actor actor)
    {
        var current = Existing();
        Require(!string.IsNullOrWhiteSpace(reference.System) && !string.IsNullOrWhiteSpace(reference.Reference),
            "invalid-reference", "An external reference needs the system and the reference in it.");
        if (current.ExternalReferences.Contains(reference))
        {
            return View();
        }

        await Commit(
            current with { ExternalReferences = [.. current.ExternalReferences, reference] },
            [new ExternalReferenceAdded { Actor = actor, Reference = reference }]);
        return View();
    }

    public async Task<TicketView> Escalate(EscalateTicket command)
    {
        var current = Existing();
        NotClosed(current);
        Require((command.ToGroup is null) != (command.VendorId is null), "invalid-escalation", "Escalate either to a group (toGroup) or to a vendor (vendorId).");
        Require(!string.IsNullOrWhiteSpace(command.Reason), "reason-required", "An escalation needs a reason.");

        var level = current.EscalationLevel + 1;
        var reason = command.Reason.Trim();
        Vendor? vendor = null;
        if (Clean(command.VendorId) is { } vendorId)
        {
            vendor = await routing.GetVendorAsync(vendorId)
                ?? throw new TicketRuleException("invalid-vendor", $"Vendor '{vendorId}' does not exist; create it first (PUT /api/vendors/{vendorId}) or pick one from GET /api/vendors.");
            reason = $"{reason} (sent to {vendor.Name} <{vendor.ContactEmail}>)";
        }

        var events = new List<TicketEvent>
        {
            new Escalated
            {
                Actor = command.Actor,
                Level = level,
                ToGroup = Clean(command.ToGroup),
                VendorId = vendor?.Id,
                Reason = reason,
            },
        };
        var next = current with { EscalationLevel = level };
        Func<DbConnection, DbTransaction, Task>? outbox = null;
        if (command.ToGroup is not null)
        {
            // Handing to another group: its least-loaded available agent takes it, or its queue when nobody is available.
            next = await HandToGroup(next, command.ToGroup.Trim(), events);
        }
        else
        {
            if (next.Status != TicketStatus.PendingVendor)
            {
                next = Move(next, TicketStatus.PendingVendor, command.Actor, $"escalated to vendor {vendor!.Name}", events);
            }

            // The ticket's context goes to the vendor through the outbox, in this transaction: the escalation and its message are stored together.
            var history = await store.ReadEventsAsync([Id]);
            var message = VendorMessages.Build(Id, level, vendor!, current.Subject, current.Description, command.Reason.Trim(),
                history.Select(h => h.Event).OfType<CommentAdded>(), clock.GetUtcNow());
            var mailer = mailOutbox;
            var ticketId = Id;
            outbox = async (connection, transaction) =>
            {
                // The vendor outbox records what was handed over (GET /api/vendors/outbox); the mail outbox delivers it.
                await RoutingStore.EnqueueAsync(connection, transaction, mailer is null ? message : message with { Status = "queued" });
                if (mailer is not null)
                {
                    await mailer.EnqueueAsync(
                        new OutboundMail(message.Recipient, message.Subject, message.Body, null, "vendor-escalation", new Dictionary<string, string>
                        {
                            ["Message-ID"] = $"<vendor-{message.Id}@supportplatform>",
                            ["References"] = MailThreads.TicketThread(ticketId),
                        }),
                        transaction,
                        CancellationToken.None);
                }
            };
        }

        await Commit(next, events, inTransaction: outbox);
        return View();
    }

    public async Task<TicketView> MergeInto(long target, Actor actor)
    {
        var current = Existing();
        Require(target != Id, "invalid-merge", "A ticket cannot be merged into itself.");
        NotClosed(current);
        var other = await GrainFactory.GetGrain<ITicketGrain>(target).Get()
            ?? throw new TicketRuleException("not-found", $"Ticket {target} does not exist.");
        Require(other.Status != TicketStatus.Closed, "ticket-closed", $"Ticket {target} is closed; merge into an open ticket.");
        Require(other.AccountId == current.AccountId, "invalid-merge", "Tickets of different client accounts cannot be merged.");

        // The target first: if this ticket's write then fails, a retry finds the target already linked (idempotent).
        await GrainFactory.GetGrain<ITicketGrain>(target).ReceiveMerge(Id, current.Subject, actor);
        var events = new List<TicketEvent> { new MergedInto { Actor = actor, Target = target } };
        var next = Move(current with { MergedInto = target }, TicketStatus.Closed, actor, $"merged into #{target}", events);

        // The target carries the work on: this ticket's clocks are withdrawn, not met (a merge is not a resolution).
        next = next with { Sla = current.Sla!.Withdraw(clock.GetUtcNow(), current.Calendar!) };
        await Commit(next, events);
        return View();
    }

    public async Task ReceiveMerge(long source, string subject, Actor actor)
    {
        var current = Existing();
        if (current.MergedFrom.Contains(source))
        {
            return;
        }

        await Commit(
            current with { MergedFrom = [.. current.MergedFrom, source] },
            [new MergeReceived { Actor = actor, Source = source, Subject = subject }]);
    }

    public async Task<TicketView> Split(SplitTicket command)
    {
        var current = Existing();
        NotClosed(current);
        var subject = Subject(command.Subject);
        var copied = new List<string>();
        if (command.CommentIds.Count > 0)
        {
            var unknown = command.CommentIds.Except(current.CommentIds).ToList();
            Require(unknown.Count == 0, "invalid-comment", $"Ticket {Id} has no comment {string.Join(", ", unknown)}.");
            var history = await store.ReadEventsAsync([Id]);
            copied.AddRange(history.Select(h => h.Event).OfType<CommentAdded>()
                .Where(c => command.CommentIds.Contains(c.CommentId))
                .Select(c => $"{c.Actor.Name} wrote on {c.At:u}:\n{c.Body}"));
        }

        var number = await store.AllocateNumberAsync();
        var description = string.Join("\n\n", new[] { command.Description }.Concat(copied).Where(s => !string.IsNullOrWhiteSpace(s)));
        await GrainFactory.GetGrain<ITicketGrain>(number).Create(new CreateTicket
        {
            AccountId = current.AccountId,
            RequesterId = current.RequesterId,
            Channel = TicketChannel.Staff,
            Type = current.Type,
            Priority = current.Priority,
            Subject = subject,
            Description = description,
            FollowUpOf = Id,
            Actor = command.Actor,
        });
        await Commit(
            current with { Related = [.. current.Related, number] },
            [new SplitOff { Actor = command.Actor, NewTicket = number, Subject = subject }]);
        return (await GrainFactory.GetGrain<ITicketGrain>(number).Get())!;
    }

    public async Task<TicketView> Import(ImportTicket command)
    {
        if (state is not null)
        {
            return View();
        }

        var ticket = command.Ticket;
        Require(ticket.ReceivedAt is not null, "invalid-received-at", "An imported ticket needs its original creation time (receivedAt).");
        Require(AccountKeys.IsValidId(ticket.AccountId?.Trim()), "invalid-account", "A ticket needs the id of the client account it belongs to (accountId).");
        var account = await GrainFactory.GetGrain<IClientAccountGrain>(AccountKeys.Grain(ticket.AccountId!.Trim())).Get()
            ?? throw new TicketRuleException("invalid-account", $"Client account '{ticket.AccountId}' does not exist; create it first (PUT /api/accounts/{ticket.AccountId}).");
        Require(!string.IsNullOrWhiteSpace(ticket.RequesterId), "invalid-requester", "A ticket needs the client user who asked (requesterId).");
        var subject = Subject(ticket.Subject);
        Require(ticket.Description.Length <= MaxText, "invalid-description", $"The description is longer than {MaxText} characters.");
        var now = clock.GetUtcNow();
        var createdAt = ticket.ReceivedAt!.Value;
        Require(createdAt <= now.AddMinutes(5), "invalid-received-at", "receivedAt is in the future; it must be when the ticket was opened.");

        var next = new TicketState
        {
            Id = Id,
            AccountId = ticket.AccountId.Trim(),
            RequesterId = ticket.RequesterId.Trim(),
            Channel = ticket.Channel,
            Type = Clean(ticket.Type),
            Priority = ticket.Priority,
            Status = TicketStatus.New,
            Subject = subject,
            Description = ticket.Description,
            Tags = Tags(ticket.Tags),
            ExternalReferences = ticket.ExternalReferences,
            Attachments = ticket.Attachments,
            CreatedAt = createdAt,
            UpdatedAt = now,
            Sla = SlaState.Create(createdAt, ticket.Priority, PolicyFor(ticket.Channel, account.Contract)),
            Calendar = account.Contract.Calendar,
            ReopenWindow = account.Contract.ReopenWindow,
            CloseAfter = account.Contract.CloseAfter,
            ContractVersion = account.Version,
        };
        var events = new List<TicketEvent>
        {
            new TicketCreated { Actor = ticket.Actor, Channel = ticket.Channel, Priority = ticket.Priority, Subject = subject, Type = next.Type, At = createdAt },
        };

        var last = createdAt;
        foreach (var step in command.Steps)
        {
            Require(step.At >= last, "invalid-import", $"The steps of an imported ticket must be in time order; {step.At:O} comes after {last:O}.");
            Require(step.At <= now.AddMinutes(5), "invalid-import", $"A step of an imported ticket is in the future ({step.At:O}).");
            Require((step.Comment is null ? 0 : 1) + (step.Status is null ? 0 : 1) + (step.Assignment is null ? 0 : 1) == 1,
                "invalid-import", "Each step of an imported ticket is exactly one comment, status change or assignment.");
            last = step.At;
            var before = next.Sla!;
            var stepEvents = new List<TicketEvent>();
            if (step.Comment is { } comment)
            {
                next = ImportComment(next, comment, step.At, stepEvents);
            }
            else if (step.Status is { } status && status.To != next.Status && next.Status != TicketStatus.Closed)
            {
                Require(status.To != TicketStatus.New, "invalid-status", "A ticket cannot go back to new.");
                if (status.To == TicketStatus.Closed && next.Status != TicketStatus.Resolved)
                {
                    next = Move(next, TicketStatus.Resolved, status.Actor, Clean(status.Note) ?? "resolved before it was imported", stepEvents, step.At);
                }

                next = Move(next, status.To, status.Actor, status.To == TicketStatus.Resolved ? Clean(status.Note) ?? "resolved before it was imported" : status.Note, stepEvents, step.At);
            }
            else if (step.Assignment is { } assignment && (Clean(assignment.Group) ?? next.Group, Clean(assignment.AgentId) ?? next.AgentId) != (next.Group, next.AgentId))
            {
                var group = Clean(assignment.Group) ?? next.Group;
                var agent = Clean(assignment.AgentId) ?? next.AgentId;
                stepEvents.Add(new Assigned { Actor = assignment.Actor, Group = group, AgentId = agent, Reason = Clean(assignment.Reason) ?? "assigned before it was imported", At = step.At });
                next = next with { Group = group, AgentId = agent };
            }

            // Warnings and breaches the past reached come before the step that revealed them, at the time they were reached.
            events.AddRange(SlaEvents(next.Sla!.NewlyReached(before), Actor.System("SLA")).Select(e => e with { At = e is SlaBreached b ? b.DueAt : ((SlaWarned)e).DueAt }));
            events.AddRange(stepEvents.Select(e => e.At == default ? e with { At = step.At } : e));
        }

        try
        {
            await Commit(next, events, at: createdAt);
        }
        catch (TicketRuleException conflict) when (conflict.Code == "conflict" && state is not null)
        {
            // Imported already (a retry whose first attempt was stored): return it unchanged.
        }

        return View();
    }

    /// <summary>A past comment: a response, a client reply or a note, at its own time (no follow-up tickets for the past).</summary>
    private static TicketState ImportComment(TicketState current, AddComment command, DateTimeOffset at, List<TicketEvent> events)
    {
        Require(!string.IsNullOrWhiteSpace(command.Body), "body-required", "A comment needs a body.");
        Require(command.Body.Length <= MaxText, "invalid-body", $"The comment is longer than {MaxText} characters.");
        var commentId = string.IsNullOrWhiteSpace(command.CommentId) ? Guid.NewGuid().ToString("N") : command.CommentId.Trim();
        if (current.CommentIds.Contains(commentId))
        {
            return current;
        }

        events.Add(new CommentAdded
        {
            Actor = command.Actor,
            CommentId = commentId,
            Visibility = command.Visibility,
            Body = command.Body,
            Attachments = command.Attachments,
            Channel = command.Channel,
            At = at,
        });
        var next = current with { CommentIds = [.. current.CommentIds, commentId] };
        if (command.Actor.Kind == ActorKind.Staff && command.Visibility == CommentVisibility.Public)
        {
            next = next with { FirstResponseAt = next.FirstResponseAt ?? at, Sla = next.Sla!.RecordStaffResponse(at, next.Calendar!) };
            if (next.Status == TicketStatus.New)
            {
                next = MoveStatic(next, TicketStatus.Open, command.Actor, "first reply", events, at);
            }
        }
        else if (command.Actor.Kind == ActorKind.Client)
        {
            if (current.Status is TicketStatus.Resolved or TicketStatus.PendingClient)
            {
                next = MoveStatic(next, TicketStatus.Open, command.Actor, current.Status == TicketStatus.Resolved ? "reopened by the client's reply" : "the client replied", events, at);
            }

            next = next with { Sla = next.Sla!.RecordClientReply(at, next.Calendar!) };
        }

        return next;
    }

    private async Task<CommentResult> OpenFollowUp(TicketState current, AddComment command, string commentId)
    {
        var number = await store.AllocateNumberAsync();
        var followUp = await GrainFactory.GetGrain<ITicketGrain>(number).Create(new CreateTicket
        {
            AccountId = current.AccountId,
            RequesterId = command.Actor.Id,
            Channel = command.Channel ?? current.Channel,
            Type = current.Type,
            Priority = current.Priority,
            Subject = current.Subject.StartsWith("Follow-up: ", StringComparison.Ordinal) ? current.Subject : "Follow-up: " + current.Subject,
            Description = command.Body,
            Attachments = command.Attachments,
            FollowUpOf = Id,
            Actor = command.Actor,
        });
        await Commit(
            current with { Related = [.. current.Related, number], CommentIds = [.. current.CommentIds, commentId] },
            [new FollowUpOpened { Actor = command.Actor, NewTicket = number }]);
        return new CommentResult(followUp, commentId, number);
    }

    /// <summary>A status move with its event and the timestamps it implies.</summary>
    /// <summary>Moves the ticket to <paramref name="group"/>, assigned to the agent routing picks there (with an event saying why), or unassigned.</summary>
    private async Task<TicketState> HandToGroup(TicketState current, string group, List<TicketEvent> events)
    {
        if (await router.PickInGroupAsync(group) is not { } pick)
        {
            return current with { Group = group, AgentId = null };
        }

        events.Add(new Assigned { Actor = Actor.System("routing"), Group = group, AgentId = pick.AgentId, Reason = pick.Reason });
        return current with { Group = group, AgentId = pick.AgentId };
    }

    private TicketState Move(TicketState current, TicketStatus to, Actor actor, string? note, List<TicketEvent> events, DateTimeOffset? at = null) =>
        at is { } past ? MoveStatic(current, to, actor, note, events, past) : MoveCore(current, to, actor, note, events, clock.GetUtcNow(), default);

    /// <summary>A status move at a past time (imports): the event carries that time.</summary>
    private static TicketState MoveStatic(TicketState current, TicketStatus to, Actor actor, string? note, List<TicketEvent> events, DateTimeOffset at) =>
        MoveCore(current, to, actor, note, events, at, at);

    private static TicketState MoveCore(TicketState current, TicketStatus to, Actor actor, string? note, List<TicketEvent> events, DateTimeOffset now, DateTimeOffset eventAt)
    {
        events.Add(new StatusChanged { Actor = actor, From = current.Status, To = to, Note = Clean(note), At = eventAt });
        var sla = current.Sla!;
        var calendar = current.Calendar!;
        if (to is TicketStatus.Resolved || (to is TicketStatus.Closed && current.Status is not TicketStatus.Resolved))
        {
            sla = sla.Resolve(now, calendar);
        }
        else if (to is not TicketStatus.Closed)
        {
            if (current.Status is TicketStatus.Resolved)
            {
                sla = sla.Reopen(now, calendar);
            }

            sla = sla.ChangeStatus(now, to switch
            {
                TicketStatus.PendingClient => SlaTicketStatus.PendingClient,
                TicketStatus.PendingVendor => SlaTicketStatus.PendingVendor,
                _ => SlaTicketStatus.Active,
            }, calendar);
        }

        return current with
        {
            Sla = sla,
            Status = to,
            ResolvedAt = to == TicketStatus.Resolved ? now : to == TicketStatus.Closed ? current.ResolvedAt : null,
            ResolutionNote = to == TicketStatus.Resolved ? note!.Trim() : to == TicketStatus.Closed ? current.ResolutionNote : null,
            ClosedAt = to == TicketStatus.Closed ? now : null,
        };
    }

    private async Task Commit(TicketState next, IReadOnlyList<TicketEvent> events, DateTimeOffset? at = null, Func<DbConnection, DbTransaction, Task>? inTransaction = null)
    {
        var now = clock.GetUtcNow();
        var all = new List<TicketEvent>(events);

        // Warnings and breaches the change itself stamped (e.g. a reply after the due time) become events too.
        if (state?.Sla is { } before && next.Sla is { } after)
        {
            var reached = after.NewlyReached(before);
            all.AddRange(SlaEvents(reached, Actor.System("SLA")));

            // Escalation rules act on the warnings and breaches in the same transaction, once per (rule, clock, kind).
            foreach (var escalation in await router.EscalationsAsync(next.AccountId, next.Priority, reached, next.AutoEscalations))
            {
                next = next with
                {
                    EscalationLevel = next.EscalationLevel + 1,
                    AutoEscalations = [.. next.AutoEscalations, escalation.Key],
                };
                all.Add(new Escalated { Actor = Actor.System("escalation rules"), Level = next.EscalationLevel, ToGroup = escalation.ToGroup, Reason = escalation.Reason });
                next = await HandToGroup(next, escalation.ToGroup, all);
            }
        }

        var seq = next.LastSeq;
        // An imported ticket's events carry their own (original) times; every other event happens now.
        var numbered = all.Select(e => e with { Seq = ++seq, At = e.At != default ? e.At : at ?? now }).ToList();
        var (desired, projection) = Deadlines(next);
        var schedule = desired.Values.Where(d => !next.Scheduled.TryGetValue(d.Id, out var due) || due != d.DueAt).ToList();
        var cancel = next.Scheduled.Keys.Where(id => !desired.ContainsKey(id)).ToList();
        next = next with
        {
            LastSeq = seq,
            UpdatedAt = now,
            Scheduled = desired.Values.ToImmutableDictionary(d => d.Id, d => d.DueAt),
        };
        try
        {
            var committing = new TicketChange(next.ToView(version + 1), numbered);
            // The commit participants (notifications, search text, requester mail...) are told by the writer, in the same transaction.
            version = await writer.SaveAsync(new TicketWrite(next, version, numbered, projection, schedule, cancel, inTransaction, committing));
        }
        catch (TicketConcurrencyException)
        {
            // Another activation wrote this ticket (a rare split during a membership change): reload, and let the caller retry.
            await LoadAsync();
            throw new TicketRuleException("conflict", $"Ticket {Id} was changed at the same time; reload it and try again.");
        }

        state = next;
        loaded = true;
        if (schedule.Count > 0)
        {
            try
            {
                await scheduler.NotifyAsync(schedule);
            }
            catch (Exception ex)
            {
                // The rows are committed: the scheduler finds them at its next window refresh.
                logger.LogWarning(ex, "Could not notify the scheduler of ticket {Ticket}'s deadlines", Id);
            }
        }

        var change = new TicketChange(View(), numbered);
        foreach (var observer in observers)
        {
            try
            {
                await observer.OnTicketChangedAsync(change, CancellationToken.None);
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Ticket observer {Observer} failed on ticket {Ticket}", observer.GetType().Name, Id);
            }
        }
    }

    public async Task OnDeadline(DeadlineFired fired)
    {
        if (state is not { } current || current.Sla is null || current.Calendar is null)
        {
            return;
        }

        var now = clock.GetUtcNow();
        if (fired.Kind == CloseKind)
        {
            // Re-checked against the state: a reopen may have raced with the delivery.
            if (current.Status == TicketStatus.Resolved && current.ResolvedAt + current.CloseAfter <= now)
            {
                var events = new List<TicketEvent>();
                var closed = Move(current, TicketStatus.Closed, Actor.System("quiet period"), $"closed after {current.CloseAfter.TotalHours:0.#} h without reply", events);
                await Commit(closed, events);
            }

            return;
        }

        // SLA: stamp what is reached by now; Commit turns newly reached warnings and breaches into events (once).
        var observed = current.Sla.Observe(now, current.Calendar);
        if (!observed.Equals(current.Sla) || current.Scheduled.ContainsKey(fired.Id))
        {
            await Commit(current with { Sla = observed }, []);
        }
    }

    /// <summary>What should be scheduled for <paramref name="ticket"/>, and the read-model columns derived from it.</summary>
    private (Dictionary<string, DeadlineRequest> Desired, TicketProjection Projection) Deadlines(TicketState ticket)
    {
        var desired = new Dictionary<string, DeadlineRequest>();
        DateTimeOffset? nextDue = null;
        var target = this.GetGrainId();
        if (ticket.Sla is { } sla && ticket.Calendar is { } calendar)
        {
            foreach (var deadline in sla.Deadlines(calendar))
            {
                var clockName = TicketJson.Name(deadline.Clock);
                var kindName = TicketJson.Name(deadline.Kind);
                var id = $"tickets/{Id}/sla/{clockName}/{kindName}";
                desired[id] = new DeadlineRequest(id, deadline.DueAt, target, SlaKind, $"{clockName}/{kindName}");
                if (deadline.Kind == SlaDeadlineKind.Breach && (nextDue is null || deadline.DueAt < nextDue))
                {
                    nextDue = deadline.DueAt;
                }
            }
        }

        if (ticket.Status == TicketStatus.Resolved && ticket.ResolvedAt is { } resolvedAt)
        {
            var id = $"tickets/{Id}/close";
            desired[id] = new DeadlineRequest(id, resolvedAt + ticket.CloseAfter, target, CloseKind);
        }

        return (desired, new TicketProjection(nextDue, ticket.Sla is { } s && s.Breaches.Length > 0));
    }

    private static IEnumerable<TicketEvent> SlaEvents(IReadOnlyList<SlaDeadline> reached, Actor actor) =>
        reached.Select(r => r.Kind == SlaDeadlineKind.Warning
            ? (TicketEvent)new SlaWarned { Actor = actor, Clock = TicketJson.Name(r.Clock), DueAt = r.DueAt }
            : new SlaBreached { Actor = actor, Clock = TicketJson.Name(r.Clock), DueAt = r.DueAt });

    private TicketView View() => state!.ToView(version);

    private TicketState Existing() => state ?? throw new TicketRuleException("not-found", $"Ticket {Id} does not exist.");

    private void NotMerged(TicketState current) =>
        Require(current.MergedInto is null, "ticket-merged", $"Ticket {Id} was merged into #{current.MergedInto}; continue there.");

    private void NotClosed(TicketState current)
    {
        NotMerged(current);
        Require(current.Status != TicketStatus.Closed, "ticket-closed", $"Ticket {Id} is closed.");
    }

    private static string Subject(string subject)
    {
        var trimmed = subject.Trim();
        Require(trimmed.Length > 0, "subject-required", "A ticket needs a subject.");
        Require(trimmed.Length <= MaxSubject, "invalid-subject", $"The subject is longer than {MaxSubject} characters.");
        return trimmed;
    }

    private static IReadOnlyList<string> Tags(IReadOnlyList<string> tags)
    {
        var clean = tags.Select(t => t.Trim().ToLowerInvariant()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        Require(clean.Count <= MaxTags, "invalid-tags", $"A ticket has at most {MaxTags} tags.");
        Require(clean.All(t => t.Length <= MaxTag && !t.Contains('|', StringComparison.Ordinal)),
            "invalid-tags", $"A tag is at most {MaxTag} characters and has no '|'.");
        return clean;
    }

    private static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static void Require(bool condition, string code, string message)
    {
        if (!condition)
        {
            throw new TicketRuleException(code, message);
        }
    }
}
