using System.Text.RegularExpressions;

namespace SupportPlatform.Knowledge.Articles;

/// <summary>The article state machine and the shape of valid content.</summary>
internal static partial class ArticleRules
{
    public const int MaxTitle = 200;
    public const int MaxBody = 100_000;
    public const int MaxTags = 20;

    /// <summary>Allowed moves: draft → in review → published → archived; back to draft to revise; archived → draft to restore.</summary>
    private static readonly Dictionary<ArticleState, ArticleState[]> Moves = new()
    {
        [ArticleState.Draft] = [ArticleState.InReview, ArticleState.Archived],
        [ArticleState.InReview] = [ArticleState.Draft, ArticleState.Published],
        [ArticleState.Published] = [ArticleState.Draft, ArticleState.Archived],
        [ArticleState.Archived] = [ArticleState.Draft],
    };

    public static string Name(ArticleState state) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(state.ToString());

    public static string Name(ArticleVisibility visibility) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(visibility.ToString());

    public static string Name(TicketRelation relation) => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(relation.ToString());

    public static T Parse<T>(string text)
        where T : struct, Enum =>
        Enum.Parse<T>(text.Replace("-", "", StringComparison.Ordinal), ignoreCase: true);

    /// <summary>Checks a move and who makes it; throws a 409 (illegal move) or 403 (not a reviewer) otherwise.</summary>
    public static void CheckMove(long id, ArticleState from, ArticleState to, string authorId, Editor editor)
    {
        if (from == to)
        {
            throw KnowledgeException.Conflict("invalid-transition", $"Article {id} is already {Name(to)}.");
        }

        if (!Moves[from].Contains(to))
        {
            throw KnowledgeException.Conflict("invalid-transition",
                $"Article {id} is {Name(from)} and cannot become {Name(to)}; from {Name(from)} it can become {string.Join(" or ", Moves[from].Select(Name))}.");
        }

        if (to == ArticleState.Published)
        {
            if (!editor.IsSenior)
            {
                throw new KnowledgeException(403, "reviewer-required", "Only a senior engineer or an admin can publish an article (as its reviewer).");
            }

            if (string.Equals(editor.Id, authorId, StringComparison.Ordinal))
            {
                throw KnowledgeException.Conflict("author-cannot-review", $"Article {id} was written by you; another senior engineer or admin must review and publish it.");
            }
        }
    }

    /// <summary>Validates and normalises content; <paramref name="current"/> supplies fields an edit leaves out.</summary>
    public static (string Title, string Body, IReadOnlyList<string> Tags, string Category, ArticleVisibility Visibility, string? AccountId) Normalize(
        ArticleDraft draft, ArticleVersion? current)
    {
        var problems = new List<string>();
        var title = (draft.Title ?? current?.Title ?? "").Trim();
        var body = (draft.Body ?? current?.Body ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
        if (title.Length == 0)
        {
            problems.Add("title: give the article a title.");
        }
        else if (title.Length > MaxTitle)
        {
            problems.Add($"title: at most {MaxTitle} characters (got {title.Length}).");
        }

        if (body.Length == 0)
        {
            problems.Add("body: give the article a body (Markdown).");
        }
        else if (body.Length > MaxBody)
        {
            problems.Add($"body: at most {MaxBody} characters (got {body.Length}).");
        }

        var tags = new List<string>();
        foreach (var raw in draft.Tags ?? current?.Tags ?? [])
        {
            var tag = (raw ?? "").Trim().ToLowerInvariant();
            if (!TagPattern().IsMatch(tag))
            {
                problems.Add($"tags: '{raw}' is not a tag; use letters, digits and '-' (1 to 40 characters).");
            }
            else if (!tags.Contains(tag))
            {
                tags.Add(tag);
            }
        }

        if (tags.Count > MaxTags)
        {
            problems.Add($"tags: at most {MaxTags} tags.");
        }

        var category = (draft.Category ?? current?.Category ?? "").Trim();
        if (category.Length > 80)
        {
            problems.Add("category: at most 80 characters.");
        }

        var visibility = draft.Visibility ?? current?.Visibility ?? ArticleVisibility.Internal;
        var accountId = draft.Visibility is null && draft.AccountId is null ? current?.AccountId : draft.AccountId;
        if (visibility == ArticleVisibility.Account && string.IsNullOrWhiteSpace(accountId))
        {
            problems.Add("accountId: an article visible to one account names that account (accountId).");
        }
        else if (visibility != ArticleVisibility.Account && !string.IsNullOrEmpty(accountId))
        {
            problems.Add($"accountId: only an article with visibility 'account' names an account; this one is '{Name(visibility)}'.");
        }

        if (problems.Count > 0)
        {
            throw KnowledgeException.Invalid(string.Join(" ", problems));
        }

        return (title, body, tags, category, visibility, visibility == ArticleVisibility.Account ? accountId!.Trim() : null);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,39}$")]
    private static partial Regex TagPattern();
}
