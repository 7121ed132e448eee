namespace SupportPlatform.Knowledge.Articles;

/// <summary>Where an article is in its life: written, checked by a reviewer, shown, retired.</summary>
internal enum ArticleState
{
    Draft,
    InReview,
    Published,
    Archived,
}

/// <summary>Who may read an article once it is published.</summary>
internal enum ArticleVisibility
{
    /// <summary>Staff only.</summary>
    Internal,

    /// <summary>Every client user (and staff).</summary>
    Public,

    /// <summary>The users of one client account (and staff).</summary>
    Account,
}

/// <summary>How an article relates to a ticket.</summary>
internal enum TicketRelation
{
    WrittenFrom,
    UsedOn,
}

/// <summary>An article as the API shows it.</summary>
internal sealed record ArticleView(
    long Id,
    string Title,
    string Body,
    string BodyHtml,
    IReadOnlyList<string> Tags,
    string? Category,
    ArticleVisibility Visibility,
    string? AccountId,
    ArticleState State,
    string AuthorId,
    string AuthorName,
    string? ReviewerId,
    string? ReviewerName,
    int Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? PublishedAt,
    ArticleCounts Counts,
    IReadOnlyList<ArticleTicketLink> Tickets);

/// <summary>How often an article was used, rated and deflected a question.</summary>
internal sealed record ArticleCounts(int Helpful, int NotHelpful, int UsedOn, int Deflections);

/// <summary>A ticket an article was written from or used on.</summary>
internal sealed record ArticleTicketLink(long TicketId, TicketRelation Relation, string ActorId, DateTimeOffset At);

/// <summary>An article in a list.</summary>
internal sealed record ArticleSummary(
    long Id, string Title, IReadOnlyList<string> Tags, string? Category, ArticleVisibility Visibility, string? AccountId,
    ArticleState State, string AuthorName, int Version, DateTimeOffset UpdatedAt);

/// <summary>One saved version of an article.</summary>
internal sealed record ArticleVersion(
    long ArticleId, int Version, string Title, string Body, IReadOnlyList<string> Tags, string? Category,
    ArticleVisibility Visibility, string? AccountId, string EditorId, string EditorName, DateTimeOffset CreatedAt);

/// <summary>The content of a new article or of an edit (null fields of an edit keep their value).</summary>
internal sealed record ArticleDraft(
    string? Title, string? Body, IReadOnlyList<string>? Tags, string? Category, ArticleVisibility? Visibility, string? AccountId);

/// <summary>Who does something to an article.</summary>
internal sealed record Editor(string Id, string Name, bool IsSenior);

/// <summary>What the caller may see: staff everything, a client user the published public articles and their account's.</summary>
internal sealed record Audience(bool IsStaff, string? AccountId)
{
    public static readonly Audience Staff = new(true, null);
}

/// <summary>A broken rule of the knowledge base, answered as a problem with <see cref="Status"/>.</summary>
internal sealed class KnowledgeException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    public static KnowledgeException NotFound(long id) => new(404, "not-found", $"Article {id} does not exist or is not visible to you.");

    public static KnowledgeException Invalid(string message) => new(400, "invalid-article", message);

    public static KnowledgeException Conflict(string code, string message) => new(409, code, message);
}
