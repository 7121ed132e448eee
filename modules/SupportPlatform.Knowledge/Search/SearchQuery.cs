using System.Text;
using System.Text.RegularExpressions;

namespace SupportPlatform.Knowledge.Search;

/// <summary>How query terms combine: every term must match (a search box), or any (suggestions from free text).</summary>
internal enum MatchMode
{
    All,
    Any,
}

/// <summary>
/// A user's query parsed once, in web-search syntax: words, "quoted phrases" and -excluded words. Stop words are
/// dropped; the last word is a prefix while the user is still typing it (no trailing space). Translated to PostgreSQL
/// (websearch_to_tsquery for the words, phrases and exclusions, to_tsquery with :* for the prefix) and to an FTS5
/// MATCH expression with the same meaning, so both back-ends answer alike.
/// </summary>
internal sealed partial class SearchQuery
{
    private static readonly HashSet<string> StopWords =
    [
        "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by", "can", "cannot", "could",
        "did", "do", "does", "doing", "for", "from", "get", "gets", "got", "had", "has", "have", "having", "he", "her", "his", "how", "i",
        "if", "in", "into", "is", "it", "its", "just", "me", "my", "no", "not", "of", "on", "or", "our", "out", "please", "she", "so",
        "some", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "to", "too", "up", "us", "was", "we",
        "were", "what", "when", "where", "which", "while", "who", "why", "will", "with", "would", "you", "your", "hi", "hello", "thanks",
    ];

    private SearchQuery(IReadOnlyList<string> words, IReadOnlyList<string[]> phrases, IReadOnlyList<string> excluded, string? prefix, MatchMode mode)
    {
        Words = words;
        Phrases = phrases;
        Excluded = excluded;
        Prefix = prefix;
        Mode = mode;
    }

    public IReadOnlyList<string> Words { get; }

    public IReadOnlyList<string[]> Phrases { get; }

    public IReadOnlyList<string> Excluded { get; }

    /// <summary>The word being typed, matched as a prefix; null when the query ends with a space or a phrase.</summary>
    public string? Prefix { get; }

    public MatchMode Mode { get; }

    /// <summary>True when nothing searchable is left (empty, or only stop words).</summary>
    public bool IsEmpty => Words.Count == 0 && Phrases.Count == 0 && Prefix is null;

    /// <summary>The searchable words (plain words and the prefix), for spelling fallbacks.</summary>
    public IEnumerable<string> PlainWords => Prefix is null ? Words : Words.Append(Prefix);

    public static SearchQuery Parse(string? text, MatchMode mode, bool prefixLastWord = true, int maxTerms = 16)
    {
        text ??= "";
        var words = new List<string>();
        var phrases = new List<string[]>();
        var excluded = new List<string>();
        string? last = null;
        var lastIsWord = false;
        foreach (Match m in Token().Matches(text))
        {
            if (m.Groups["phrase"].Success)
            {
                var parts = Tokens(m.Groups["phrase"].Value).ToArray();
                if (parts.Length == 1)
                {
                    Add(words, parts[0]);
                }
                else if (parts.Length > 1)
                {
                    phrases.Add(parts);
                }

                lastIsWord = false;
            }
            else if (m.Groups["not"].Success)
            {
                excluded.AddRange(Tokens(m.Groups["not"].Value).Where(w => !StopWords.Contains(w)));
                lastIsWord = false;
            }
            else
            {
                foreach (var w in Tokens(m.Groups["word"].Value))
                {
                    last = w;
                    if (!StopWords.Contains(w))
                    {
                        Add(words, w);
                    }
                }

                lastIsWord = true;
            }
        }

        string? prefix = null;
        if (prefixLastWord && lastIsWord && last is not null && text.Length > 0 && !char.IsWhiteSpace(text[^1]) && last.Length >= 2 && !StopWords.Contains(last))
        {
            words.Remove(last);
            prefix = last;
        }

        if (words.Count > maxTerms)
        {
            words.RemoveRange(maxTerms, words.Count - maxTerms);
        }

        return new SearchQuery(words, phrases, excluded, prefix, mode);

        static void Add(List<string> list, string word)
        {
            if (!list.Contains(word))
            {
                list.Add(word);
            }
        }
    }

    /// <summary>The same query with some words replaced (spelling corrections); no prefix.</summary>
    public SearchQuery WithWords(IReadOnlyList<string> words) => new(words, Phrases, Excluded, null, Mode);

    /// <summary>Input of websearch_to_tsquery: words, quoted phrases, -exclusions, joined with "or" in Any mode.</summary>
    public string WebSearchText()
    {
        var positives = Words.Select(w => w).Concat(Phrases.Select(p => "\"" + string.Join(' ', p) + "\""));
        var text = string.Join(Mode == MatchMode.Any ? " or " : " ", positives);
        return string.Join(' ', new[] { text }.Concat(Excluded.Select(e => "-" + e))).Trim();
    }

    /// <summary>Input of to_tsquery for the prefix ('word':*), or null.</summary>
    public string? PrefixTsQuery() => Prefix is null ? null : $"'{Prefix}':*";

    /// <summary>The FTS5 MATCH expression, or null when nothing positive is left.</summary>
    public string? Fts5Match()
    {
        var positives = Words.Select(w => Quote(w))
            .Concat(Phrases.Select(p => Quote(string.Join(' ', p))))
            .Concat(Prefix is null ? [] : [Quote(Prefix) + "*"])
            .ToList();
        if (positives.Count == 0)
        {
            return null;
        }

        var builder = new StringBuilder(positives.Count == 1 ? positives[0] : "(" + string.Join(Mode == MatchMode.Any ? " OR " : " AND ", positives) + ")");
        foreach (var e in Excluded)
        {
            builder.Append(" NOT ").Append(Quote(e));
        }

        return builder.ToString();

        static string Quote(string s) => "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    private static IEnumerable<string> Tokens(string text) =>
        WordPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value).Where(w => w.Length <= 60);

    [GeneratedRegex("\"(?<phrase>[^\"]*)\"?|(?<=^|\\s)-(?<not>[\\p{L}\\p{N}]+)|(?<word>[^\\s\"]+)")]
    private static partial Regex Token();

    [GeneratedRegex("[\\p{L}\\p{N}]+")]
    private static partial Regex WordPattern();
}
