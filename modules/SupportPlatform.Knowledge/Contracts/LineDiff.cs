using DiffPlex;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace SupportPlatform.Knowledge.Contracts;

/// <summary>One line of a diff: <c>unchanged</c>, <c>inserted</c> or <c>deleted</c> (a modified line is a deletion and an insertion), with its line numbers.</summary>
public sealed record DiffLine(string Change, string Text, int? OldLine, int? NewLine);

/// <summary>
/// Line diffs of two texts (DiffPlex, Myers' algorithm): the article version diffs of the knowledge base, also used by
/// the template history of the admin pages.
/// </summary>
public static class LineDiff
{
    private static readonly InlineDiffBuilder Builder = new(new Differ());

    /// <summary>The lines of <paramref name="a"/> and <paramref name="b"/> with what changed.</summary>
    public static IReadOnlyList<DiffLine> Compare(string a, string b)
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
