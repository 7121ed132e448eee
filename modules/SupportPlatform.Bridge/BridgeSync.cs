using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Core;
using SupportPlatform.Identity.Contracts;
using SupportPlatform.Sdk.Ticketing;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Bridge;

/// <summary>
/// Brings help desk records over and keeps bridged tickets in step. Everything is keyed by the help desk's ids through
/// <c>sp_bridge_links</c>, so every step can be repeated after a crash without doubling anything:
/// organisations become accounts (<c>&lt;system&gt;-&lt;id&gt;</c>), end users contacts, tickets are imported whole
/// with their original timestamps (<see cref="ITicketGrain.Import"/>), and a bridged ticket is synchronised by a
/// three-way merge of status and assignee against the values both sides last agreed on, plus comments by id.
/// </summary>
/// <remarks>
/// <para><b>No echoes.</b> A comment we write to the help desk is linked to the id the help desk gave it, and a comment
/// brought in gets the local id <c>bridge-&lt;system&gt;-&lt;id&gt;</c>, so neither is ever copied back. Status and
/// assignee are compared with the last agreed values (the base): a change we wrote moved the base with it, so when the
/// help desk reports it back, nothing differs.</para>
/// <para><b>Conflicts.</b> When both sides changed the same field since the base, the later change wins: the help desk's
/// <c>updated_at</c> against the time of the platform's latest change of that field. On a tie the platform wins.</para>
/// </remarks>
internal sealed partial class BridgeSync(
    BridgeStore store,
    BridgeOptions options,
    IGrainFactory grains,
    ITicketNumbers numbers,
    ITicketAttachments attachments,
    IUserDirectory users,
    IClientUserProvisioning provisioning,
    ILogger<BridgeSync> logger)
{
    public const string Organization = "organization";
    public const string User = "user";
    public const string Ticket = "ticket";
    public const string Comment = "comment";

    public static string AccountId(string system, string organizationId) => Slug($"{system}-{organizationId}");

    public static string NoOrganizationAccount(string system) => Slug($"{system}-no-organization");

    public static string CommentId(string system, string externalId) => $"bridge-{system}-{externalId}";

    public static Actor BridgeActor(string system) => new(ActorKind.System, "bridge:" + system, Title(system));

    public async Task ImportOrganizationAsync(string system, ExternalOrganization organization, ImportCounts counts, CancellationToken ct)
    {
        var accountId = AccountId(system, organization.Id);
        var grain = grains.GetGrain<IClientAccountGrain>(AccountKeys.Grain(accountId));
        if (await grain.Get() is null)
        {
            var name = string.IsNullOrWhiteSpace(organization.Name) ? $"{Title(system)} organisation {organization.Id}" : organization.Name.Trim();
            try
            {
                await grain.Define(new DefineAccount { Name = name, TimeZone = options.TimeZone, EmailDomains = organization.Domains });
            }
            catch (AccountRuleException ex)
            {
                // A domain already belongs to another account: the account comes over without it.
                LogDomainsSkipped(logger, system, organization.Id, ex.Message);
                await grain.Define(new DefineAccount { Name = name, TimeZone = options.TimeZone });
            }

            counts.Organizations++;
        }

        await store.LinkAsync(system, Organization, organization.Id, accountId, ct);
    }

    public async Task ImportUserAsync(string system, ExternalUser user, ImportCounts counts, CancellationToken ct)
    {
        if (user.IsAgent)
        {
            // Agents are matched to staff users by email when they act; they are not contacts of a client.
            return;
        }

        if (await store.FindLocalAsync(system, User, user.Id, ct) is not null)
        {
            return;
        }

        var accountId = await AccountOfAsync(system, user.OrganizationId, ct);
        var contactId = Slug($"{system}-u{user.Id}");
        if (!string.IsNullOrWhiteSpace(user.Email))
        {
            try
            {
                contactId = (await provisioning.EnsureClientUserAsync(accountId, contactId, user.Email, user.Name, ct)).Id;
            }
            catch (InvalidOperationException ex)
            {
                // The address is someone else's here (a staff member, another account's contact): keep the tickets, not the login.
                LogContactSkipped(logger, system, user.Id, ex.Message);
                counts.Skipped++;
            }
        }

        await store.LinkAsync(system, User, user.Id, contactId, ct);
        counts.Users++;
    }

    /// <summary>Imports a ticket not seen yet, or synchronises a bridged one.</summary>
    public async Task SyncTicketAsync(ITicketingAdapter adapter, ExternalTicket? known, string externalId, ImportCounts counts, CancellationToken ct)
    {
        var system = adapter.System;
        var external = known ?? await adapter.GetTicketAsync(externalId, ct);
        if (external is null || external.Status == ExternalTicketStatus.Deleted)
        {
            return;
        }

        var bridged = await store.FindTicketAsync(system, external.Id, ct);
        if (bridged is null)
        {
            await ImportTicketAsync(adapter, external, counts, ct);
            return;
        }

        await MergeAsync(adapter, external, bridged, counts, ct);
    }

    private async Task ImportTicketAsync(ITicketingAdapter adapter, ExternalTicket external, ImportCounts counts, CancellationToken ct)
    {
        var system = adapter.System;
        var comments = await adapter.ListCommentsAsync(external.Id, ct);

        // The number is linked before anything is written under it, so a retry after a crash reuses it (Import is idempotent).
        var number = long.Parse(await store.LinkAsync(system, Ticket, external.Id, (await numbers.AllocateAsync(ct)).ToString(System.Globalization.CultureInfo.InvariantCulture), ct), System.Globalization.CultureInfo.InvariantCulture);
        var ticket = grains.GetGrain<ITicketGrain>(number);
        if (await ticket.Get() is null)
        {
            var requester = await RequesterAsync(system, external.RequesterId, ct);
            var accountId = external.OrganizationId is { } org ? await AccountOfAsync(system, org, ct) : await AccountOfUserAsync(system, external.RequesterId, ct);
            var (description, files) = await SaveAttachmentsAsync(adapter, number, external.Description, external.Attachments, counts, ct);
            var steps = new List<ImportedStep>();
            if (external.AssigneeEmail is { Length: > 0 } assignee && await users.FindByEmailAsync(assignee, ct) is { Kind: "staff" } agent)
            {
                steps.Add(new ImportedStep { At = external.CreatedAt, Assignment = new AssignTicket { Actor = BridgeActor(system), AgentId = agent.Id, Reason = $"assigned in {Title(system)}" } });
            }

            foreach (var comment in comments.OrderBy(c => c.CreatedAt))
            {
                var (body, commentFiles) = await SaveAttachmentsAsync(adapter, number, comment.Body, comment.Attachments, counts, ct);
                steps.Add(new ImportedStep
                {
                    At = Max(comment.CreatedAt, external.CreatedAt),
                    Comment = new AddComment
                    {
                        Actor = await AuthorAsync(system, comment, ct),
                        Visibility = comment.Public ? CommentVisibility.Public : CommentVisibility.Internal,
                        Body = string.IsNullOrWhiteSpace(body) ? "(no text)" : body,
                        Attachments = commentFiles,
                        CommentId = CommentId(system, comment.Id),
                    },
                });
                counts.Comments++;
            }

            var lastComment = steps.Count > 0 ? steps[^1].At : external.CreatedAt;
            foreach (var (status, at) in PastStatuses(external, lastComment))
            {
                steps.Add(new ImportedStep { At = at, Status = new ChangeStatus { Actor = BridgeActor(system), To = status, Note = status == TicketStatus.Resolved ? $"Solved in {Title(system)} before the import." : null } });
            }

            await ticket.Import(new ImportTicket
            {
                Ticket = new CreateTicket
                {
                    AccountId = accountId,
                    RequesterId = requester,
                    Channel = TicketChannel.Api,
                    Priority = Priority(external.Priority),
                    Subject = string.IsNullOrWhiteSpace(external.Subject) ? $"{Title(system)} ticket {external.Id}" : Truncate(external.Subject.Trim(), 200),
                    Description = description,
                    Tags = external.Tags.Where(t => t.Length <= 50 && !t.Contains('|', StringComparison.Ordinal)).Take(19).Append(system).ToList(),
                    ExternalReferences = [new ExternalReference(system, external.Id, external.Url?.ToString())],
                    Attachments = files,
                    ReceivedAt = external.CreatedAt,
                    Actor = BridgeActor(system),
                },
                Steps = steps,
            });
            counts.Tickets++;
        }

        foreach (var comment in comments)
        {
            await store.LinkAsync(system, Comment, comment.Id, CommentId(system, comment.Id), ct);
        }

        var view = (await ticket.Get())!;
        await store.SaveTicketAsync(new BridgedTicket(system, external.Id, number, SyncStatus(external.Status), external.AssigneeEmail?.ToLowerInvariant() ?? "", external.UpdatedAt), ct);
        LogImported(logger, system, external.Id, view.Id);
    }

    /// <summary>The statuses the ticket went through after its last comment, as far as the help desk tells.</summary>
    private static IEnumerable<(TicketStatus Status, DateTimeOffset At)> PastStatuses(ExternalTicket external, DateTimeOffset after)
    {
        var at = Max(external.UpdatedAt, after);
        switch (external.Status)
        {
            case ExternalTicketStatus.Open:
                yield return (TicketStatus.Open, at);
                break;
            case ExternalTicketStatus.Pending:
                yield return (TicketStatus.PendingClient, at);
                break;
            case ExternalTicketStatus.OnHold:
                yield return (TicketStatus.OnHold, at);
                break;
            case ExternalTicketStatus.Solved:
            case ExternalTicketStatus.Closed:
                var solved = Max(external.SolvedAt ?? external.UpdatedAt, after);
                yield return (TicketStatus.Resolved, solved);
                if (external.Status == ExternalTicketStatus.Closed)
                {
                    yield return (TicketStatus.Closed, Max(external.UpdatedAt, solved));
                }

                break;
        }
    }

    private async Task MergeAsync(ITicketingAdapter adapter, ExternalTicket external, BridgedTicket bridged, ImportCounts counts, CancellationToken ct)
    {
        var system = adapter.System;
        var ticket = grains.GetGrain<ITicketGrain>(bridged.TicketId);
        var local = await ticket.Get();
        if (local is null)
        {
            return;
        }

        var history = (await ticket.GetHistory(false)).Select(h => h.Event).ToList();

        // 1. Our comments the help desk has not got yet (linked once written, so never twice and never back).
        foreach (var comment in history.OfType<CommentAdded>().Where(c => !c.CommentId.StartsWith("bridge-", StringComparison.Ordinal)))
        {
            if (await store.FindExternalAsync(system, Comment, comment.CommentId, ct) is not null)
            {
                continue;
            }

            var author = comment.Actor.Kind == ActorKind.Staff ? await users.FindAsync(comment.Actor.Id, ct) : null;
            var body = comment.Actor.Kind == ActorKind.Client ? $"{comment.Actor.Name} wrote on the support platform:\n\n{comment.Body}" : comment.Body;
            var externalCommentId = await adapter.AddCommentAsync(external.Id, new ExternalCommentDraft
            {
                Body = body,
                Public = comment.Visibility == CommentVisibility.Public,
                AuthorEmail = author?.Email,
                AuthorName = comment.Actor.Name,
            }, ct);
            await store.LinkAsync(system, Comment, externalCommentId, comment.CommentId, ct);
        }

        // 2. The help desk's comments we have not got yet.
        foreach (var comment in (await adapter.ListCommentsAsync(external.Id, ct)).OrderBy(c => c.CreatedAt))
        {
            if (await store.FindLocalAsync(system, Comment, comment.Id, ct) is not null)
            {
                continue;
            }

            var (body, files) = await SaveAttachmentsAsync(adapter, bridged.TicketId, comment.Body, comment.Attachments, counts, ct);
            await ticket.AddComment(new AddComment
            {
                Actor = await AuthorAsync(system, comment, ct),
                Visibility = comment.Public ? CommentVisibility.Public : CommentVisibility.Internal,
                Body = string.IsNullOrWhiteSpace(body) ? "(no text)" : body,
                Attachments = files,
                CommentId = CommentId(system, comment.Id),
                Channel = TicketChannel.Api,
            });
            await store.LinkAsync(system, Comment, comment.Id, CommentId(system, comment.Id), ct);
            counts.Comments++;
        }

        // 3. Status and assignee: a three-way merge against the base.
        local = (await ticket.Get())!;
        var localStatus = SyncStatus(ToExternal(local.Status));
        var externalStatus = SyncStatus(external.Status);
        var localAssignee = local.AgentId is { } agentId && await users.FindAsync(agentId, ct) is { } agentUser ? agentUser.Email : "";
        var externalAssignee = external.AssigneeEmail?.ToLowerInvariant() ?? "";
        var localStatusAt = history.OfType<StatusChanged>().Where(e => !IsBridge(e.Actor)).Select(e => e.At).DefaultIfEmpty(local.CreatedAt).Max();
        var localAssignAt = history.OfType<Assigned>().Where(e => !IsBridge(e.Actor)).Select(e => e.At).DefaultIfEmpty(local.CreatedAt).Max();

        var status = Decide(bridged.BaseStatus, localStatus, externalStatus, localStatusAt, external.UpdatedAt);
        var assignee = Decide(bridged.BaseAssignee, localAssignee, externalAssignee, localAssignAt, external.UpdatedAt);
        var pushStatus = status == Side.Local && localStatus != externalStatus;
        var pushAssignee = assignee == Side.Local && localAssignee != externalAssignee;
        var newBaseStatus = status == Side.External ? externalStatus : localStatus;
        var newBaseAssignee = assignee == Side.External ? externalAssignee : localAssignee;
        var externalUpdatedAt = external.UpdatedAt;

        // A closed ticket here no longer moves (a reply opens a follow-up); the base still follows the help desk.
        if (status == Side.External && externalStatus != localStatus && local.Status != TicketStatus.Closed)
        {
            await ApplyStatusAsync(ticket, local, external.Status, system);
        }

        if (assignee == Side.External && externalAssignee != localAssignee)
        {
            var agent = externalAssignee.Length == 0 ? null : await users.FindByEmailAsync(externalAssignee, ct);
            if (externalAssignee.Length == 0 || agent is { Kind: "staff" })
            {
                await ticket.Assign(new AssignTicket { Actor = BridgeActor(system), AgentId = agent?.Id ?? "", Reason = $"assigned in {Title(system)}" });
            }
            else
            {
                // Nobody here has that address: the ticket stays with whom it has; the base moves so it is not retried forever.
                LogUnknownAgent(logger, system, external.Id, externalAssignee);
            }
        }

        if (pushStatus || pushAssignee)
        {
            var updated = await adapter.UpdateTicketAsync(external.Id, new ExternalTicketUpdate
            {
                Status = pushStatus ? ToExternal(local.Status) : null,
                AssigneeEmail = pushAssignee ? localAssignee : null,
            }, ct);
            externalUpdatedAt = updated.UpdatedAt;
        }

        await store.SaveTicketAsync(bridged with { BaseStatus = newBaseStatus, BaseAssignee = newBaseAssignee, ExternalUpdatedAt = externalUpdatedAt }, ct);
    }

    internal enum Side
    {
        None,
        Local,
        External,
    }

    /// <summary>
    /// The conflict rule: only one side moved from the base, that side wins; both moved to different values, the later
    /// change wins, the platform on a tie.
    /// </summary>
    internal static Side Decide(string baseValue, string local, string external, DateTimeOffset localChangedAt, DateTimeOffset externalChangedAt)
    {
        var localMoved = local != baseValue;
        var externalMoved = external != baseValue;
        return (localMoved, externalMoved) switch
        {
            (false, false) => Side.None,
            (true, false) => Side.Local,
            (false, true) => Side.External,
            _ when local == external => Side.Local,
            _ => externalChangedAt > localChangedAt ? Side.External : Side.Local,
        };
    }

    private static async Task ApplyStatusAsync(ITicketGrain ticket, TicketView local, ExternalTicketStatus status, string system)
    {
        var actor = BridgeActor(system);
        var note = $"Solved in {Title(system)}.";
        switch (status)
        {
            case ExternalTicketStatus.New:
            case ExternalTicketStatus.Open:
                if (local.Status != TicketStatus.New || status == ExternalTicketStatus.Open)
                {
                    await ticket.ChangeStatus(new ChangeStatus { Actor = actor, To = TicketStatus.Open, Note = $"reopened in {Title(system)}" });
                }

                break;
            case ExternalTicketStatus.Pending:
                await ticket.ChangeStatus(new ChangeStatus { Actor = actor, To = TicketStatus.PendingClient });
                break;
            case ExternalTicketStatus.OnHold:
                await ticket.ChangeStatus(new ChangeStatus { Actor = actor, To = TicketStatus.OnHold });
                break;
            case ExternalTicketStatus.Solved:
                await ticket.ChangeStatus(new ChangeStatus { Actor = actor, To = TicketStatus.Resolved, Note = note });
                break;
            case ExternalTicketStatus.Closed:
                if (local.Status != TicketStatus.Resolved)
                {
                    await ticket.ChangeStatus(new ChangeStatus { Actor = actor, To = TicketStatus.Resolved, Note = note });
                }

                await ticket.ChangeStatus(new ChangeStatus { Actor = actor, To = TicketStatus.Closed });
                break;
        }
    }

    private static bool IsBridge(Actor actor) => actor.Id.StartsWith("bridge:", StringComparison.Ordinal);

    internal static ExternalTicketStatus ToExternal(TicketStatus status) => status switch
    {
        TicketStatus.New => ExternalTicketStatus.New,
        TicketStatus.PendingClient => ExternalTicketStatus.Pending,
        TicketStatus.PendingVendor or TicketStatus.OnHold => ExternalTicketStatus.OnHold,
        TicketStatus.Resolved => ExternalTicketStatus.Solved,
        TicketStatus.Closed => ExternalTicketStatus.Closed,
        _ => ExternalTicketStatus.Open,
    };

    /// <summary>
    /// The status as the merge compares it: solved and closed are one value, because each side closes solved tickets by
    /// its own rules (the platform after its quiet period, Zendesk after days) and Zendesk's API cannot close a ticket.
    /// </summary>
    internal static string SyncStatus(ExternalTicketStatus status) =>
        status is ExternalTicketStatus.Closed ? "solved" : ExternalStatusName(status);

    internal static string ExternalStatusName(ExternalTicketStatus status) => status switch
    {
        ExternalTicketStatus.OnHold => "on-hold",
        _ => status.ToString().ToLowerInvariant(),
    };

    private static Priority Priority(ExternalTicketPriority priority) => priority switch
    {
        ExternalTicketPriority.Urgent => Core.Priority.Critical,
        ExternalTicketPriority.High => Core.Priority.High,
        ExternalTicketPriority.Low => Core.Priority.Low,
        _ => Core.Priority.Normal,
    };

    private async Task<Actor> AuthorAsync(string system, ExternalComment comment, CancellationToken ct)
    {
        if (comment.AuthorIsAgent)
        {
            if (comment.AuthorEmail is { Length: > 0 } email && await users.FindByEmailAsync(email, ct) is { Kind: "staff" } staff)
            {
                return new Actor(ActorKind.Staff, staff.Id, staff.Name);
            }

            return new Actor(ActorKind.Staff, $"{system}:{comment.AuthorId}", comment.AuthorName ?? $"{Title(system)} agent {comment.AuthorId}");
        }

        var contact = await store.FindLocalAsync(system, User, comment.AuthorId, ct) ?? Slug($"{system}-u{comment.AuthorId}");
        return new Actor(ActorKind.Client, contact, comment.AuthorName ?? comment.AuthorEmail ?? contact);
    }

    private async Task<string> RequesterAsync(string system, string externalUserId, CancellationToken ct) =>
        await store.FindLocalAsync(system, User, externalUserId, ct) ?? Slug($"{system}-u{externalUserId}");

    private async Task<string> AccountOfAsync(string system, string? organizationId, CancellationToken ct)
    {
        if (organizationId is { Length: > 0 } && await store.FindLocalAsync(system, Organization, organizationId, ct) is { } linked)
        {
            return linked;
        }

        // Users and tickets without a (known) organisation share one account per help desk.
        var accountId = NoOrganizationAccount(system);
        var grain = grains.GetGrain<IClientAccountGrain>(AccountKeys.Grain(accountId));
        if (await grain.Get() is null)
        {
            await grain.Define(new DefineAccount { Name = $"{Title(system)}: no organisation", TimeZone = options.TimeZone });
        }

        return accountId;
    }

    private async Task<string> AccountOfUserAsync(string system, string externalUserId, CancellationToken ct)
    {
        if (await store.FindLocalAsync(system, User, externalUserId, ct) is { } contact && await users.FindAsync(contact, ct) is { AccountId: { } account })
        {
            return account;
        }

        return await AccountOfAsync(system, null, ct);
    }

    /// <summary>Stores a record's files; a file the platform refuses (type, size) is named in the text instead, so nothing goes silently missing.</summary>
    private async Task<(string Text, IReadOnlyList<AttachmentRef> Files)> SaveAttachmentsAsync(
        ITicketingAdapter adapter, long ticketId, string text, IReadOnlyList<ExternalAttachment> files, ImportCounts counts, CancellationToken ct)
    {
        if (files.Count == 0)
        {
            return (text, []);
        }

        var saved = new List<AttachmentRef>();
        var notes = new StringBuilder();
        foreach (var file in files.Take(attachments.MaxFiles))
        {
            var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{adapter.System}/{file.Id}")))[..32];
            await using var content = await adapter.OpenAttachmentAsync(file, ct);
            var result = await attachments.SaveAsync(ticketId, id, file.FileName, file.ContentType, content, ct);
            if (result.Attachment is { } attachment)
            {
                saved.Add(attachment);
                counts.Attachments++;
            }
            else
            {
                notes.Append(System.Globalization.CultureInfo.InvariantCulture, $"\n[{file.FileName} was not brought over from {Title(adapter.System)}: {result.Error}]");
                counts.Skipped++;
            }
        }

        foreach (var file in files.Skip(attachments.MaxFiles))
        {
            notes.Append(System.Globalization.CultureInfo.InvariantCulture, $"\n[{file.FileName} was not brought over from {Title(adapter.System)}: more than {attachments.MaxFiles} files]");
            counts.Skipped++;
        }

        return (text + notes, saved);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];

    internal static string Title(string system) => system.Length == 0 ? system : char.ToUpperInvariant(system[0]) + system[1..];

    private static string Slug(string value)
    {
        var builder = new StringBuilder();
        foreach (var c in value.ToLowerInvariant())
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
        }

        var slug = builder.ToString().Trim('-');
        return slug.Length <= 64 ? slug : slug[..64];
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Imported {System} ticket {ExternalId} as #{TicketId}")]
    private static partial void LogImported(ILogger logger, string system, string externalId, long ticketId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{System} organisation {Id} came over without its mail domains: {Reason}")]
    private static partial void LogDomainsSkipped(ILogger logger, string system, string id, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{System} user {Id} did not become a contact: {Reason}")]
    private static partial void LogContactSkipped(ILogger logger, string system, string id, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{System} ticket {Id} is assigned to {Email}, who is no staff user here; the assignment was not copied")]
    private static partial void LogUnknownAgent(ILogger logger, string system, string id, string email);
}
