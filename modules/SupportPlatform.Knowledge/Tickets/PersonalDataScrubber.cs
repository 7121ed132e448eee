using System.Text.RegularExpressions;

namespace SupportPlatform.Knowledge.Tickets;

/// <summary>
/// Leaves a client's personal data out of text that becomes an article: email addresses, phone numbers, street
/// addresses and postcodes, the names of the requester, of the account's users and of the account itself, and names
/// in greetings and sign-offs ("Hi Sarah,", "Regards,\nTom Baker"). Each is replaced by a placeholder ([email], [phone],
/// [address], [name], "the client") so the article still reads. It is a safety net, not a guarantee: a reviewer reads
/// every write-up before it is published.
/// </summary>
internal static partial class PersonalDataScrubber
{
    private static readonly string[] CompanySuffixes = ["ltd", "ltd.", "limited", "inc", "inc.", "llc", "gmbh", "plc", "corp", "corp.", "co", "co."];

    public static string Scrub(string text, IEnumerable<string> names, string? accountName)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        text = Email().Replace(text, "[email]");
        text = Address().Replace(text, "[address]");
        text = Postcode().Replace(text, "[address]");
        text = Phone().Replace(text, m => LooksLikePhone(m.Value) ? "[phone]" : m.Value);

        if (!string.IsNullOrWhiteSpace(accountName))
        {
            foreach (var variant in AccountVariants(accountName))
            {
                text = Regex.Replace(text, $@"(?<![\p{{L}}\p{{N}}]){Regex.Escape(variant)}(?![\p{{L}}\p{{N}}])", "the client", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
            }
        }

        // Full names first (longest first), then each part of a name: "Sarah Connor" and later "Sarah" alone.
        var known = names.Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => n.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var parts = known.SelectMany(n => n.Split([' ', '.', ',', '-'], StringSplitOptions.RemoveEmptyEntries)).Where(p => p.Length >= 3);
        foreach (var name in known.Concat(parts).Distinct(StringComparer.OrdinalIgnoreCase).OrderByDescending(n => n.Length))
        {
            text = Regex.Replace(text, $@"(?<![\p{{L}}\p{{N}}]){Regex.Escape(name)}(?![\p{{L}}\p{{N}}])", "[name]", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        }

        text = Greeting().Replace(text, m => m.Groups["greeting"].Value + m.Groups["sep"].Value + "[name]");
        text = SignOff().Replace(text, m => m.Groups["signoff"].Value + "[name]");
        text = Collapse().Replace(text, "[name]");
        return text.Trim();
    }

    private static IEnumerable<string> AccountVariants(string name)
    {
        name = name.Trim();
        yield return name;
        var words = name.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length > 1 && CompanySuffixes.Contains(words[^1].ToLowerInvariant()))
        {
            var stem = string.Join(' ', words[..^1]);
            if (stem.Length >= 3)
            {
                yield return stem;
            }
        }
    }

    /// <summary>Dates, times, IP addresses and version numbers look like digit runs too; they are not phone numbers.</summary>
    private static bool LooksLikePhone(string value)
    {
        var digits = value.Count(char.IsAsciiDigit);
        if (digits is < 7 or > 15)
        {
            return false;
        }

        return !DateLike().IsMatch(value) && !DottedNumbers().IsMatch(value);
    }

    [GeneratedRegex(@"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")]
    private static partial Regex Email();

    [GeneratedRegex(@"(?<![\w+])(?:\+\d{1,3}[\s.\-]?)?(?:\(\d{1,5}\)[\s.\-]?)?\d(?:[\s.\-]?\d){5,13}(?![\w])")]
    private static partial Regex Phone();

    [GeneratedRegex(@"^\s*(?:\d{4}[\-/.]\d{1,2}[\-/.]\d{1,2}|\d{1,2}[\-/.]\d{1,2}[\-/.]\d{2,4})\s*$")]
    private static partial Regex DateLike();

    [GeneratedRegex(@"^\s*\d{1,4}(?:\.\d{1,5}){2,}\s*$")]
    private static partial Regex DottedNumbers();

    // "12 High Street", "4b Baker St.", "1600 Pennsylvania Avenue NW", optionally with a flat/suite before or after
    // and a town after a comma.
    [GeneratedRegex(@"(?:(?:Flat|Apartment|Apt\.?|Suite|Unit|Floor)\s+\w+,?\s+)?\b\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][a-z]+\.?\s+){1,4}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Close|Crescent|Terrace|Square|Sq|Parkway|Pkwy|Highway|Hwy|Row|Gardens|Mews|Hill|Walk)\b\.?(?:\s+(?:NW|NE|SW|SE|N|S|E|W)\b)?(?:,?\s+(?:Suite|Unit|Apt\.?|Floor|Flat)\s+\w+)?(?:,\s*[A-Z][a-zA-Z]+(?:\s[A-Z][a-zA-Z]+)?(?=[,.\s]|$))?")]
    private static partial Regex Address();

    // UK postcodes (SW1A 1AA, M1 1AE) and US state + ZIP (CA 94105, NY 10001-1234).
    [GeneratedRegex(@",?\s*\b(?:[A-Z]{1,2}\d[A-Z\d]?\s+\d[A-Z]{2}|[A-Z]{2}\s+\d{5}(?:-\d{4})?)\b")]
    private static partial Regex Postcode();

    [GeneratedRegex(@"(?<greeting>\b(?:Hi|Hello|Hey|Dear|Morning|Good morning|Good afternoon|Thanks|Thank you|Cheers|Many thanks)\b)(?<sep>[ \t]*,?[ \t]+)(?:[A-Z][a-z]+)(?:[ \t]+[A-Z][a-z]+)?(?=\s*[,!.\n]|$)", RegexOptions.Multiline)]
    private static partial Regex Greeting();

    [GeneratedRegex(@"(?<signoff>\b(?:Regards|Best regards|Kind regards|Best wishes|Best|Thanks|Thank you|Cheers|Sincerely|Many thanks),?[ \t]*\r?\n[ \t]*)(?:[A-Z][a-z]+)(?:[ \t]+[A-Z][a-z]+)*[ \t]*$", RegexOptions.Multiline)]
    private static partial Regex SignOff();

    [GeneratedRegex(@"\[name\](?:\s*\[name\])+")]
    private static partial Regex Collapse();
}
