using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using SupportPlatform.Accounts.Contracts;
using SupportPlatform.Core.Security;
using SupportPlatform.Knowledge.Articles;
using SupportPlatform.Knowledge.Search;
using SupportPlatform.Knowledge.Tickets;
using SupportPlatform.Tickets.Contracts;

namespace SupportPlatform.Knowledge.Api;

/// <summary>
/// The knowledge base API: <c>/api/kb</c>. Staff write, review and publish articles; everyone signed in reads and
/// searches what they may see (client users: published public articles and their own account's, nothing else).
/// </summary>
internal static class KnowledgeApi
{
    private const int MaxPageSize = 200;
    private const int MaxLimit = 50;

    public static RouteGroupBuilder MapKnowledgeApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/kb").WithTags("Knowledge");

        group.MapGet("/articles", List).WithName("ListArticles").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("Lists articles (state, tag, category, page, pageSize). Client users see published public articles and their account's.");
        group.MapPost("/articles", Create).WithName("CreateArticle").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Creates a draft article: title, body (Markdown), tags, category, visibility (internal, public, account + accountId).");
        group.MapGet("/articles/{id:long}", Get).WithName("GetArticle").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("One article with its rendered body, counts and (staff) linked tickets.");
        group.MapPut("/articles/{id:long}", Update).WithName("UpdateArticle").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Edits a draft or an article in review; saves a new version. expectedVersion guards against lost updates.");
        group.MapPost("/articles/{id:long}/state", Move).WithName("MoveArticle").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Moves the article: draft → in-review → published (senior reviewer, not the author) → archived; back to draft to revise.");
        group.MapGet("/articles/{id:long}/versions", Versions).WithName("ListArticleVersions").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Every saved version of the article.");
        group.MapGet("/articles/{id:long}/diff", Diff).WithName("DiffArticleVersions").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Line differences of title and body, and changed fields, between versions 'from' and 'to'.");
        group.MapPost("/articles/{id:long}/tickets", Link).WithName("LinkArticleToTicket").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Records that the article was used on a ticket (counts as a use).");
        group.MapPost("/articles/{id:long}/feedback", Feedback).WithName("RateArticle").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("Helpful or not helpful (one vote per user; a new vote replaces the old).");
        group.MapPost("/articles/{id:long}/deflections", Deflect).WithName("DeflectWithArticle").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("\"This solved it\": the article answered the question typed as subject, and no ticket was opened.");
        group.MapPost("/tickets/{ticketId:long}/write-up", WriteUp).WithName("WriteUpResolution").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Drafts an internal article from a resolved ticket (subject, problem, resolution; the client's personal data left out) and links both.");
        group.MapGet("/tickets/{ticketId:long}/suggestions", TicketSuggestions).WithName("SuggestArticlesForTicket").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Published articles most relevant to the ticket, and the articles already linked to it.");
        group.MapGet("/search", SearchAll).WithName("SearchKnowledge").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("Full-text search (q; scope articles or tickets; state; accountId; limit) with ranking, prefix matching, snippets and a typo fallback. Tickets: staff only.");
        group.MapGet("/suggestions", Suggest).WithName("SuggestArticlesForSubject").RequireAuthorization(PlatformPolicies.SignedIn)
            .WithSummary("Published articles the caller may read that match a subject being typed (subject; limit).");
        group.MapGet("/reports/most-used", MostUsed).WithName("MostUsedArticles").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Articles by uses on tickets and deflections in the last 'days' (default 30), with helpful counts.");
        group.MapGet("/reports/gaps", Gaps).WithName("KnowledgeGaps").RequireAuthorization(PlatformPolicies.Staff)
            .WithSummary("Topics with no article: ticket tags and subject words of the last 'days' (default 30) seen on at least minTickets tickets (default 3) that no published article covers, and searches that found nothing.");
        return group;
    }

    private static Task<IResult> List(HttpContext http, ArticleStore store, string? state, string? tag, string? category, int? page, int? pageSize) =>
        Run(async () =>
        {
            var parsed = ParseState(state);
            if (page is < 1 || pageSize is < 1 or > MaxPageSize)
            {
                throw new KnowledgeException(400, "invalid-paging", $"page starts at 1 and pageSize is between 1 and {MaxPageSize}.");
            }

            var (items, total) = await store.ListAsync(AudienceOf(http), parsed, tag, category, page ?? 1, pageSize ?? 50, http.RequestAborted);
            return TypedResults.Ok(new { items, total, page = page ?? 1, pageSize = pageSize ?? 50 });
        });

    private static Task<IResult> Create(ArticleRequest request, HttpContext http, ArticleStore store, IClusterClient cluster) =>
        Run(async () =>
        {
            await CheckAccountAsync(request.AccountId, cluster);
            var article = await store.CreateAsync(request.ToDraft(), EditorOf(http), null, http.RequestAborted);
            return TypedResults.Created($"/api/kb/articles/{article.Id}", article);
        });

    private static Task<IResult> Get(long id, HttpContext http, ArticleStore store) =>
        Run(async () => TypedResults.Ok(await store.GetAsync(id, AudienceOf(http), http.RequestAborted) ?? throw KnowledgeException.NotFound(id)));

    private static Task<IResult> Update(long id, ArticleRequest request, HttpContext http, ArticleStore store, IClusterClient cluster) =>
        Run(async () =>
        {
            await CheckAccountAsync(request.AccountId, cluster);
            return TypedResults.Ok(await store.UpdateAsync(id, request.ToDraft(), request.ExpectedVersion, EditorOf(http), http.RequestAborted));
        });

    private static Task<IResult> Move(long id, MoveRequest request, HttpContext http, ArticleStore store) =>
        Run(async () =>
        {
            if (string.IsNullOrWhiteSpace(request.To))
            {
                throw new KnowledgeException(400, "invalid-state", "Give the state to move to: 'to' is one of draft, in-review, published, archived.");
            }

            var to = ParseState(request.To)!.Value;
            return TypedResults.Ok(await store.MoveAsync(id, to, EditorOf(http), http.RequestAborted));
        });

    private static Task<IResult> Versions(long id, HttpContext http, ArticleStore store) =>
        Run(async () =>
        {
            var versions = await store.VersionsAsync(id, http.RequestAborted);
            return versions.Count == 0 ? throw KnowledgeException.NotFound(id) : TypedResults.Ok(versions);
        });

    private static Task<IResult> Diff(long id, int? from, int? to, HttpContext http, ArticleStore store) =>
        Run(async () =>
        {
            var versions = await store.VersionsAsync(id, http.RequestAborted);
            if (versions.Count == 0)
            {
                throw KnowledgeException.NotFound(id);
            }

            var a = versions.FirstOrDefault(v => v.Version == (from ?? Math.Max(1, versions[^1].Version - 1)));
            var b = versions.FirstOrDefault(v => v.Version == (to ?? versions[^1].Version));
            if (a is null || b is null)
            {
                throw new KnowledgeException(400, "invalid-version",
                    $"Article {id} has versions 1 to {versions[^1].Version}; 'from' and 'to' must name two of them (got {from?.ToString() ?? "none"} and {to?.ToString() ?? "none"}).");
            }

            return TypedResults.Ok(VersionDiff.Compare(a, b));
        });

    private static Task<IResult> Link(long id, LinkRequest request, HttpContext http, ArticleStore store, IClusterClient cluster) =>
        Run(async () =>
        {
            if (request.TicketId is not { } ticketId)
            {
                throw new KnowledgeException(400, "ticket-required", "Give the ticket the article was used on (ticketId).");
            }

            _ = await store.GetAsync(id, Audience.Staff, http.RequestAborted) ?? throw KnowledgeException.NotFound(id);
            _ = await cluster.GetGrain<ITicketGrain>(ticketId).Get() ?? throw new KnowledgeException(404, "not-found", $"Ticket {ticketId} does not exist.");
            await store.LinkTicketAsync(id, ticketId, TicketRelation.UsedOn, http.User.UserId()!, http.RequestAborted);
            return TypedResults.Ok(await store.GetAsync(id, Audience.Staff, http.RequestAborted));
        });

    private static Task<IResult> Feedback(long id, FeedbackRequest request, HttpContext http, ArticleStore store) =>
        Run(async () =>
        {
            // Visibility first: a client user learns nothing about another account's article, not even that it exists.
            _ = await store.GetAsync(id, AudienceOf(http), http.RequestAborted) ?? throw KnowledgeException.NotFound(id);
            if (request.Helpful is not { } helpful)
            {
                throw new KnowledgeException(400, "helpful-required", "Say whether the article helped: 'helpful' is true or false.");
            }

            await store.RateAsync(id, http.User.UserId()!, helpful, http.User.IsStaff() ? request.TicketId : null, http.RequestAborted);
            return TypedResults.Ok((await store.GetAsync(id, AudienceOf(http), http.RequestAborted))!.Counts);
        });

    private static Task<IResult> Deflect(long id, DeflectionRequest request, HttpContext http, ArticleStore store) =>
        Run(async () =>
        {
            _ = await store.GetAsync(id, AudienceOf(http), http.RequestAborted) ?? throw KnowledgeException.NotFound(id);
            var subject = (request.Subject ?? "").Trim();
            await store.DeflectAsync(id, http.User.ClientAccountId(), http.User.UserId()!, subject.Length > 300 ? subject[..300] : subject, http.RequestAborted);
            return TypedResults.Ok((await store.GetAsync(id, AudienceOf(http), http.RequestAborted))!.Counts);
        });

    private static Task<IResult> WriteUp(long ticketId, HttpContext http, ResolutionWriter writer) =>
        Run(async () =>
        {
            var article = await writer.WriteUpAsync(ticketId, EditorOf(http), http.RequestAborted);
            return TypedResults.Created($"/api/kb/articles/{article.Id}", article);
        });

    private static Task<IResult> TicketSuggestions(long ticketId, int? limit, HttpContext http, IClusterClient cluster, KnowledgeSearch search, ArticleStore store) =>
        Run(async () =>
        {
            var ticket = await cluster.GetGrain<ITicketGrain>(ticketId).Get() ?? throw new KnowledgeException(404, "not-found", $"Ticket {ticketId} does not exist.");
            var text = ticket.Subject + " " + (ticket.Description.Length > 600 ? ticket.Description[..600] : ticket.Description);
            var query = SearchQuery.Parse(text, MatchMode.Any, prefixLastWord: false, maxTerms: 16);
            // Agents see articles for every client plus those of this ticket's account.
            var found = await search.ArticlesAsync(query, Audience.Staff, ArticleState.Published, Limit(limit, 5), null, http.RequestAborted);
            var items = found.Items.ToList();
            var accountScoped = await FilterAccountArticlesAsync(items, ticket.AccountId, store, http.RequestAborted);
            if (accountScoped.Count == 0)
            {
                await search.RecordMissAsync(ticket.Subject, "ticket", http.RequestAborted);
            }

            var linked = (await store.LinksOfTicketAsync(ticketId, http.RequestAborted))
                .Select(l => new { articleId = l.ArticleId, title = l.Title, relation = l.Relation }).ToList();
            return TypedResults.Ok(new { ticketId, suggestions = accountScoped, fuzzy = found.Fuzzy, linked });
        });

    private static Task<IResult> SearchAll(
        HttpContext http, KnowledgeSearch search, string? q, string? scope, string? state, string? accountId, int? limit) =>
        Run<IResult>(async () =>
        {
            if (string.IsNullOrWhiteSpace(q))
            {
                throw new KnowledgeException(400, "query-required", "Give something to search for: q.");
            }

            if (q.Length > 500)
            {
                throw new KnowledgeException(400, "query-too-long", "The query is longer than 500 characters.");
            }

            var query = SearchQuery.Parse(q, MatchMode.All);
            switch (scope ?? "articles")
            {
                case "articles":
                    var result = await search.ArticlesAsync(query, AudienceOf(http), ParseState(state), Limit(limit, 20), q, http.RequestAborted);
                    if (result.Items.Count == 0)
                    {
                        await search.RecordMissAsync(q, "search", http.RequestAborted);
                    }

                    return TypedResults.Ok(result);
                case "tickets":
                    if (!http.User.IsStaff())
                    {
                        return TypedResults.Problem(detail: "Only staff search tickets; client users search articles.", statusCode: 403,
                            extensions: new Dictionary<string, object?> { ["code"] = "forbidden" });
                    }

                    return TypedResults.Ok(await search.TicketsAsync(query, accountId, Limit(limit, 20), q, http.RequestAborted));
                default:
                    throw new KnowledgeException(400, "invalid-scope", $"'{scope}' is not a search scope; use articles or tickets.");
            }
        });

    private static Task<IResult> Suggest(HttpContext http, KnowledgeSearch search, string? subject, int? limit) =>
        Run(async () =>
        {
            if ((subject ?? "").Length > 300)
            {
                throw new KnowledgeException(400, "subject-too-long", "The subject is longer than 300 characters.");
            }

            var query = SearchQuery.Parse(subject, MatchMode.Any, prefixLastWord: true, maxTerms: 12);
            var audience = AudienceOf(http);
            var result = await search.ArticlesAsync(query, audience, audience.IsStaff ? ArticleState.Published : null, Limit(limit, 5), subject, http.RequestAborted);
            return TypedResults.Ok(result);
        });

    private static Task<IResult> MostUsed(HttpContext http, KnowledgeReports reports, int? days, int? limit) =>
        Run(async () => TypedResults.Ok(await reports.MostUsedAsync(Days(days), Limit(limit, 20), http.RequestAborted)));

    private static Task<IResult> Gaps(HttpContext http, KnowledgeReports reports, int? days, int? minTickets, int? limit) =>
        Run(async () =>
        {
            if (minTickets is < 1)
            {
                throw new KnowledgeException(400, "invalid-min-tickets", "minTickets is at least 1.");
            }

            return TypedResults.Ok(await reports.GapsAsync(Days(days), minTickets ?? 3, Limit(limit, 20), http.RequestAborted));
        });

    /// <summary>Of the suggested articles, those visible to one account are kept only when it is the ticket's account.</summary>
    private static async Task<List<ArticleHit>> FilterAccountArticlesAsync(List<ArticleHit> hits, string accountId, ArticleStore store, CancellationToken cancellationToken)
    {
        var kept = new List<ArticleHit>();
        foreach (var hit in hits)
        {
            if (hit.Visibility != ArticleVisibility.Account || (await store.GetAsync(hit.Id, Audience.Staff, cancellationToken))?.AccountId == accountId)
            {
                kept.Add(hit);
            }
        }

        return kept;
    }

    private static async Task CheckAccountAsync(string? accountId, IClusterClient cluster)
    {
        if (!string.IsNullOrWhiteSpace(accountId)
            && (!AccountKeys.IsValidId(accountId.Trim()) || await cluster.GetGrain<IClientAccountGrain>(AccountKeys.Grain(accountId.Trim())).Get() is null))
        {
            throw KnowledgeException.Invalid($"accountId: there is no account '{accountId}'.");
        }
    }

    private static ArticleState? ParseState(string? state)
    {
        if (string.IsNullOrWhiteSpace(state))
        {
            return null;
        }

        return state.Trim().ToLowerInvariant() switch
        {
            "draft" => ArticleState.Draft,
            "in-review" => ArticleState.InReview,
            "published" => ArticleState.Published,
            "archived" => ArticleState.Archived,
            _ => throw new KnowledgeException(400, "invalid-state", $"'{state}' is not an article state; use draft, in-review, published or archived."),
        };
    }

    private static int Limit(int? limit, int fallback) =>
        limit is null ? fallback : limit is < 1 or > MaxLimit
            ? throw new KnowledgeException(400, "invalid-limit", $"limit is between 1 and {MaxLimit}.")
            : limit.Value;

    private static int Days(int? days) =>
        days is null ? 30 : days is < 1 or > 3660 ? throw new KnowledgeException(400, "invalid-days", "days is between 1 and 3660.") : days.Value;

    private static Audience AudienceOf(HttpContext http) => http.User.IsStaff() ? Audience.Staff : new Audience(false, http.User.ClientAccountId() ?? "\0none");

    private static Editor EditorOf(HttpContext http) =>
        new(http.User.UserId() ?? throw new InvalidOperationException("Knowledge endpoints require a signed-in caller."), http.User.DisplayName(), http.User.IsInRole(PlatformRoles.Senior));

    private static async Task<IResult> Run<T>(Func<Task<T>> call)
        where T : IResult
    {
        try
        {
            return await call();
        }
        catch (KnowledgeException ex)
        {
            return TypedResults.Problem(detail: ex.Message, statusCode: ex.Status, type: $"https://supportplatform.dev/problems/{ex.Code}",
                extensions: new Dictionary<string, object?> { ["code"] = ex.Code });
        }
    }
}

internal sealed record ArticleRequest(
    string? Title, string? Body, IReadOnlyList<string>? Tags, string? Category, ArticleVisibility? Visibility, string? AccountId, int? ExpectedVersion)
{
    public ArticleDraft ToDraft() => new(Title, Body, Tags, Category, Visibility, AccountId);
}

internal sealed record MoveRequest(string? To);

internal sealed record LinkRequest(long? TicketId);

internal sealed record FeedbackRequest(bool? Helpful, long? TicketId);

internal sealed record DeflectionRequest(string? Subject);
