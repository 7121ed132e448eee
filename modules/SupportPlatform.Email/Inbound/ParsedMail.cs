using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Ganss.Xss;
using MimeKit;

namespace SupportPlatform.Email.Inbound;

/// <summary>A file carried by a message (attachment or inline image), decoded.</summary>
internal sealed record MailFile(string FileName, string ContentType, byte[] Content, bool Inline);

/// <summary>One failed recipient named by a delivery-status report.</summary>
internal sealed record BounceRecipient(string Address, string? Status, string? Diagnostic);

/// <summary>What the pipeline needs from a raw message; <see cref="Parse"/> never throws.</summary>
internal sealed class ParsedMail
{
    private static readonly Regex TicketToken = new(@"\[#(\d{1,18})\]", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    private static readonly string[] RobotLocalParts = ["mailer-daemon", "postmaster", "no-reply", "noreply", "do-not-reply", "donotreply"];

    public MimeMessage? Message { get; private init; }

    /// <summary>Why the message cannot be imported at all, or null.</summary>
    public string? Unparseable { get; private init; }

    public string? MessageId { get; private init; }

    public string? From { get; private init; }

    public string? FromName { get; private init; }

    public string Subject { get; private init; } = "";

    public IReadOnlyList<string> References { get; private init; } = [];

    public string? ThreadIndexRoot { get; private init; }

    public long? TicketTokenId { get; private init; }

    /// <summary>Why no automatic answer may go to this message ("Auto-Submitted: auto-generated"...), or null.</summary>
    public string? Automatic { get; private init; }

    /// <summary>An out-of-office or other auto-reply: recorded, never a ticket or comment.</summary>
    public bool IsAutoReply { get; private init; }

    /// <summary>Set for a delivery-status report (a bounce).</summary>
    public IReadOnlyList<BounceRecipient>? Bounce { get; private init; }

    public MailBody Body { get; private init; } = MailBody.Empty;

    public IReadOnlyList<MailFile> Files { get; private init; } = [];

    /// <summary>Parses <paramref name="content"/>; <paramref name="envelopeFrom"/> is the SMTP MAIL FROM when known ("" for &lt;&gt;).</summary>
    public static ParsedMail Parse(ReadOnlyMemory<byte> content, string? envelopeFrom)
    {
        MimeMessage message;
        try
        {
            using var stream = new MemoryStream(content.ToArray(), writable: false);
            message = MimeMessage.Load(new ParserOptions { AllowAddressesWithoutDomain = false }, stream);
        }
        catch (FormatException ex)
        {
            return new ParsedMail { Unparseable = "the message is not MIME: " + ex.Message };
        }

        var from = message.From.Mailboxes.FirstOrDefault() ?? message.Sender;
        if (from is null || !MailboxAddress.TryParse(from.Address, out _) || !from.Address.Contains('@', StringComparison.Ordinal))
        {
            return new ParsedMail
            {
                Message = message,
                MessageId = NormalizeMessageId(message.MessageId),
                Subject = message.Subject ?? "",
                Unparseable = "the message has no valid From address",
            };
        }

        var address = from.Address.Trim().ToLowerInvariant();
        var references = new List<string>();
        if (NormalizeMessageId(message.InReplyTo) is { } inReplyTo)
        {
            references.Add(inReplyTo);
        }

        foreach (var reference in message.References.Reverse())
        {
            if (NormalizeMessageId(reference) is { } r && !references.Contains(r, StringComparer.Ordinal))
            {
                references.Add(r);
            }
        }

        var subject = (message.Subject ?? "").Trim();
        var token = TicketToken.Match(subject);
        var bounce = ReadBounce(message);
        var (automatic, autoReply) = Classify(message, address, envelopeFrom);
        return new ParsedMail
        {
            Message = message,
            MessageId = NormalizeMessageId(message.MessageId),
            From = address,
            FromName = string.IsNullOrWhiteSpace(from.Name) ? null : from.Name.Trim(),
            Subject = subject,
            References = references,
            ThreadIndexRoot = ThreadRoot(message.Headers["Thread-Index"]),
            TicketTokenId = token.Success && long.TryParse(token.Groups[1].Value, out var id) ? id : null,
            Automatic = bounce is not null ? "a delivery-status report" : automatic,
            IsAutoReply = autoReply,
            Bounce = bounce,
            Body = bounce is null ? MailBody.From(message) : MailBody.Empty,
            Files = bounce is null ? ReadFiles(message) : [],
        };
    }

    /// <summary>The import key: "mid:" + the normalised Message-ID, else "sha256:" + the hash of the content with LF line ends.</summary>
    public static string ImportKey(string? messageId, ReadOnlySpan<byte> content)
    {
        if (messageId is { Length: > 0 })
        {
            return "mid:" + messageId;
        }

        var normal = new byte[content.Length];
        var n = 0;
        foreach (var b in content)
        {
            if (b != (byte)'\r')
            {
                normal[n++] = b;
            }
        }

        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(normal.AsSpan(0, n)));
    }

    /// <summary>A Message-ID without angle brackets and spaces, the domain part lower-cased; null when empty.</summary>
    public static string? NormalizeMessageId(string? id)
    {
        var value = id?.Trim().Trim('<', '>').Replace(" ", "", StringComparison.Ordinal);
        if (string.IsNullOrEmpty(value) || value.Length > 900)
        {
            return null;
        }

        var at = value.LastIndexOf('@');
        return at < 0 ? value : value[..at] + value[at..].ToLowerInvariant();
    }

    private static string? ThreadRoot(string? threadIndex)
    {
        // Outlook's Thread-Index: 22 bytes that name the conversation, then 5 bytes per reply.
        if (string.IsNullOrWhiteSpace(threadIndex))
        {
            return null;
        }

        try
        {
            var bytes = Convert.FromBase64String(threadIndex.Trim());
            return bytes.Length >= 22 ? Convert.ToBase64String(bytes, 0, 22) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static (string? Automatic, bool AutoReply) Classify(MimeMessage message, string from, string? envelopeFrom)
    {
        var headers = message.Headers;
        var autoSubmitted = headers["Auto-Submitted"]?.Split(';')[0].Trim().ToLowerInvariant();
        var precedence = headers["Precedence"]?.Trim().ToLowerInvariant();
        var autoReply = autoSubmitted == "auto-replied" || headers.Contains("X-Autoreply") || headers.Contains("X-Autorespond") || precedence == "auto_reply";
        var localPart = from.Split('@')[0];
        string? why = null;
        if (autoSubmitted is { Length: > 0 } and not "no")
        {
            why = $"Auto-Submitted: {autoSubmitted}";
        }
        else if (precedence is "bulk" or "list" or "junk" or "auto_reply")
        {
            why = $"Precedence: {precedence}";
        }
        else if (headers.Contains("X-Loop"))
        {
            why = "X-Loop";
        }
        else if (headers.Contains("List-Unsubscribe") || headers.Contains("List-Id"))
        {
            why = "mailing-list headers";
        }
        else if (headers.Contains("X-Auto-Response-Suppress"))
        {
            why = "X-Auto-Response-Suppress";
        }
        else if (envelopeFrom == "" || headers["Return-Path"]?.Trim() is "<>" or "")
        {
            why = "empty Return-Path";
        }
        else if (RobotLocalParts.Contains(localPart, StringComparer.Ordinal))
        {
            why = $"sender {localPart}";
        }
        else if (autoReply)
        {
            why = "auto-reply headers";
        }

        return (why, autoReply);
    }

    private static List<BounceRecipient>? ReadBounce(MimeMessage message)
    {
        if (message.Body is not MultipartReport report || !string.Equals(report.ReportType, "delivery-status", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var recipients = new List<BounceRecipient>();
        foreach (var status in report.OfType<MessageDeliveryStatus>())
        {
            foreach (var group in status.StatusGroups.Skip(1))
            {
                var action = group["Action"]?.Trim().ToLowerInvariant();
                var recipient = group["Final-Recipient"] ?? group["Original-Recipient"];
                if (recipient is null || action is "delivered" or "relayed" or "expanded")
                {
                    continue;
                }

                var address = recipient.Split(';').Last().Trim().Trim('<', '>').ToLowerInvariant();
                if (address.Contains('@', StringComparison.Ordinal))
                {
                    recipients.Add(new BounceRecipient(address, group["Status"]?.Trim(), group["Diagnostic-Code"]?.Trim()));
                }
            }
        }

        return recipients;
    }

    private static List<MailFile> ReadFiles(MimeMessage message)
    {
        var files = new List<MailFile>();
        var textPart = message.Body is null ? null : FindBodyPart(message, "plain");
        var htmlPart = message.Body is null ? null : FindBodyPart(message, "html");
        foreach (var entity in message.BodyParts)
        {
            if (ReferenceEquals(entity, textPart) || ReferenceEquals(entity, htmlPart))
            {
                continue;
            }

            switch (entity)
            {
                case MessagePart { Message: not null } attached:
                    using (var buffer = new MemoryStream())
                    {
                        attached.Message.WriteTo(buffer);
                        var name = attached.ContentDisposition?.FileName ?? (attached.Message.Subject is { Length: > 0 } s ? s + ".eml" : "message.eml");
                        files.Add(new MailFile(name.EndsWith(".eml", StringComparison.OrdinalIgnoreCase) ? name : name + ".eml", "message/rfc822", buffer.ToArray(), false));
                    }

                    break;
                case MimePart part when part is not TextPart || part.IsAttachment:
                    using (var buffer = new MemoryStream())
                    {
                        part.Content?.DecodeTo(buffer);
                        var inline = !part.IsAttachment && part.ContentId is not null;
                        var name = part.FileName ?? (inline ? $"inline-{files.Count + 1}.{part.ContentType.MediaSubtype}" : $"attachment-{files.Count + 1}");
                        files.Add(new MailFile(name, part.ContentType.MimeType, buffer.ToArray(), inline));
                    }

                    break;
            }
        }

        return files;
    }

    private static TextPart? FindBodyPart(MimeMessage message, string subtype) =>
        message.BodyParts.OfType<TextPart>().FirstOrDefault(p => !p.IsAttachment && p.ContentType.IsMimeType("text", subtype));
}

/// <summary>The readable content: the new text, the quoted history and the signature apart, and sanitised HTML.</summary>
internal sealed record MailBody(string NewText, string? Quoted, string? Signature, string? SanitizedHtml)
{
    public static readonly MailBody Empty = new("", null, null, null);

    private static readonly HtmlSanitizer Sanitizer = CreateSanitizer();

    public static MailBody From(MimeMessage message)
    {
        var html = message.HtmlBody;
        var text = message.TextBody ?? (html is null ? "" : HtmlToText(html));
        var (fresh, quoted, signature) = Split(text);
        return new MailBody(fresh, quoted, signature, html is null ? null : Sanitizer.Sanitize(html));
    }

    /// <summary>Separates the new text from the quoted history (Gmail/Apple "On ... wrote:", Outlook headers, "&gt;" blocks) and the signature.</summary>
    public static (string NewText, string? Quoted, string? Signature) Split(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var quoteStart = lines.Length;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            var next = i + 1 < lines.Length ? lines[i + 1].Trim() : "";
            if ((line.StartsWith("On ", StringComparison.Ordinal) && (line.EndsWith("wrote:", StringComparison.Ordinal) || (next.EndsWith("wrote:", StringComparison.Ordinal) && !next.StartsWith('>'))))
                || Regex.IsMatch(line, @"^-{3,}\s*Original Message\s*-{3,}$", RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1))
                || (Regex.IsMatch(line, "^_{10,}$", RegexOptions.None, TimeSpan.FromSeconds(1)) && next.StartsWith("From:", StringComparison.Ordinal))
                || (line.StartsWith("From:", StringComparison.Ordinal) && lines.Skip(i + 1).Take(4).Any(l => l.TrimStart().StartsWith("Sent:", StringComparison.Ordinal) || l.TrimStart().StartsWith("Date:", StringComparison.Ordinal))
                    && !lines.Take(i).Any(l => l.Contains("Forwarded message", StringComparison.OrdinalIgnoreCase) || l.TrimStart().StartsWith("Begin forwarded message", StringComparison.Ordinal)))
                || (line.StartsWith('>') && lines.Skip(i).All(l => l.TrimStart().StartsWith('>') || l.Trim().Length == 0)))
            {
                quoteStart = i;
                break;
            }
        }

        var head = lines.Take(quoteStart).ToList();
        string? signature = null;
        var sig = head.FindLastIndex(l => l is "-- " or "--" || l.StartsWith("Sent from my ", StringComparison.Ordinal) || l.StartsWith("Get Outlook for ", StringComparison.Ordinal));
        if (sig >= 0)
        {
            signature = string.Join('\n', head.Skip(sig + (head[sig].StartsWith("--", StringComparison.Ordinal) ? 1 : 0))).Trim();
            head = head.Take(sig).ToList();
        }

        var quoted = quoteStart < lines.Length ? string.Join('\n', lines.Skip(quoteStart)).Trim() : null;
        return (string.Join('\n', head).Trim(), string.IsNullOrEmpty(quoted) ? null : quoted, string.IsNullOrEmpty(signature) ? null : signature);
    }

    private static string HtmlToText(string html)
    {
        var text = Regex.Replace(html, @"<(script|style|head)[^>]*>.*?</\1>", "", RegexOptions.Singleline | RegexOptions.IgnoreCase, TimeSpan.FromSeconds(2));
        text = Regex.Replace(text, @"<\s*(br|/p|/div|/tr|/li|/h\d|hr|/blockquote)[^>]*>", "\n", RegexOptions.IgnoreCase, TimeSpan.FromSeconds(2));
        text = Regex.Replace(text, "<[^>]+>", "", RegexOptions.None, TimeSpan.FromSeconds(2));
        text = WebUtility.HtmlDecode(text).Replace('\u00a0', ' ');
        return Regex.Replace(text, @"\n[ \t]*\n([ \t]*\n)+", "\n\n", RegexOptions.None, TimeSpan.FromSeconds(2)).Trim();
    }

    private static HtmlSanitizer CreateSanitizer()
    {
        var sanitizer = new HtmlSanitizer();

        // Images only from the message itself (cid:, shown through the attachment store) or inline data: no web bugs.
        sanitizer.AllowedSchemes.Clear();
        sanitizer.AllowedSchemes.Add("cid");
        sanitizer.AllowedSchemes.Add("mailto");
        sanitizer.AllowedSchemes.Add("https");
        sanitizer.AllowedSchemes.Add("http");
        sanitizer.AllowedAttributes.Remove("src");
        return sanitizer;
    }

    public string Description(int max)
    {
        var text = NewText.Length > 0 ? NewText : (Quoted ?? "");
        return text.Length <= max ? text : text[..max] + "\n[... truncated; the whole message is kept with the mail import]";
    }
}
