using DiffPlex;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace SupportPlatform.Knowledge.Articles;

/// <summary>One line of a diff: unchanged, inserted or deleted (a modified line is a deletion and an insertion).</summary>
internal sealed record DiffLine(string Change, string Text, int? OldLine, int? NewLine);

/// <summary>A field whose value differs between two versions.</summary>
internal sealed record FieldChange(string Field, string? From, string? To);

/// <summary>The differences between two versions of an article.</summary>
internal sealed record ArticleDiff(long ArticleId, int From, int To, IReadOnlyList<FieldChange> Fields, IReadOnlyList<DiffLine> Title, IReadOnlyList<DiffLine> Body);

/// <summary>Line diffs between article versions (DiffPlex, Myers' algorithm).</summary>
internal static class VersionDiff
{
    private static readonly InlineDiffBuilder Builder = new(new Differ());

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

    private static List<DiffLine> Lines(string a, string b)
    {
        var model = Builder.BuildDiffModel(a, b, ignoreWhitespace: false);
        var lines = new List<DiffLine>();
        int oldLine = 0, newLine = 0;
        foreach (var line in model.Lines)
        {
            switch (line.Type)
            {
                case ChangeType.Unchanged:
                    lines.Add(new DiffLine("unchanged", line.Text, ++oldLine, ++newLine));
                    break;
                case ChangeType.Deleted:
                    lines.Add(new DiffLine("deleted", line.Text, ++oldLine, null));
                    break;
                case ChangeType.Inserted:
                    lines.Add(new DiffLine("inserted", line.Text, null, ++newLine));
                    break;
                default:
                    break;
            }
        }

        return lines;
    }
}
