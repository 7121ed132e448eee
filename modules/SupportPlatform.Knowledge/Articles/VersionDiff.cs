using SupportPlatform.Knowledge.Contracts;

namespace SupportPlatform.Knowledge.Articles;

/// <summary>A field whose value differs between two versions.</summary>
internal sealed record FieldChange(string Field, string? From, string? To);

/// <summary>The differences between two versions of an article.</summary>
internal sealed record ArticleDiff(long ArticleId, int From, int To, IReadOnlyList<FieldChange> Fields, IReadOnlyList<DiffLine> Title, IReadOnlyList<DiffLine> Body);

/// <summary>Line diffs between article versions (DiffPlex, Myers' algorithm).</summary>
internal static class VersionDiff
{
    public static ArticleDiff Compare(ArticleVersion from, ArticleVersion to)
    {
        var fields = new List<FieldChange>();
        Add("tags", string.Join(", ", from.Tags), string.Join(", ", to.Tags));
        Add("category", from.Category, to.Category);
        Add("visibility", ArticleRules.Name(from.Visibility), ArticleRules.Name(to.Visibility));
        Add("accountId", from.AccountId, to.AccountId);
        return new ArticleDiff(from.ArticleId, from.Version, to.Version, fields, Lines(from.Title, to.Title), Lines(from.Body, to.Body));

        void Add(string field, string? a, string? b)
        {
            if (!string.Equals(a ?? "", b ?? "", StringComparison.Ordinal))
            {
                fields.Add(new FieldChange(field, a, b));
            }
        }
    }

    private static IReadOnlyList<DiffLine> Lines(string a, string b) => LineDiff.Compare(a, b);
}
